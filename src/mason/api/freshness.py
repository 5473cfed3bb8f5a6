"""`mason source freshness`: how old each selected source is."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from mason.artifacts.manifest import metadata
from mason.artifacts.writer import write_json
from mason.errors import MasonError
from mason.execute.freshness import SCHEMA, _seconds, check_source
from mason.observe.masking import scrub


def run_freshness(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.api import parse_and_write, selected
    from mason.compile.compiler import Compiler

    start = time.perf_counter()
    parsed = parse_and_write(session)
    from mason.api.monitor import mask_alert_secrets

    mask_alert_secrets(parsed)
    ids = sorted(selected(parsed, session, opts, ("source",)))
    sources = [parsed.manifest.sources[i] for i in ids if i in parsed.manifest.sources]
    checked = [s for s in sources if s.freshness and (s.loaded_at_field or s.loaded_at_query)
               and (_seconds(s.freshness.get("warn_after")) or _seconds(s.freshness.get("error_after")))]
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    results: list[dict[str, Any]] = []
    code = 0
    try:
        compiler = Compiler(session, parsed, adapter)
        total = len(checked)
        for i, src in enumerate(checked, 1):
            relation = compiler.source_relation(src).render()
            try:
                result = check_source(adapter, src, relation)
            except MasonError as exc:
                result = {"unique_id": src.unique_id, "error": exc.render(), "status": "runtime error",
                          "timing": [], "thread_id": threading.current_thread().name, "execution_time": 0.0,
                          "adapter_response": {}}
            results.append(result)
            status = result["status"]
            label = {"pass": "PASS", "warn": "WARN", "error": "ERROR STALE", "runtime error": "ERROR"}[status]
            print(f"{i} of {total} {label} freshness of {src.source_name}.{src.name} "
                  f"[{label} in {result['execution_time']:.2f}s]")
            if status in ("error", "runtime error"):
                code = 1
                if "error" in result:
                    print(scrub(f"  {result['error']}"))
        from mason.api.monitor import after_run

        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items()
                if v not in (None, (), False) and k != "vars_"}
        after_run(session, parsed, adapter, "source freshness", {**args, "which": "source freshness"}, [], code,
                  lambda m: print(scrub(f"Warning: {m}")),
                  lambda m: print(scrub(m)) if session.flags.debug else None, freshness=results)
    finally:
        adapter.close()
    target = Path(opts["output"]) if opts.get("output") else parsed.loaded.target_dir / "sources.json"
    write_json(target, {"metadata": metadata(SCHEMA, session.invocation_id, session.started_at, dict(session.env)),
                        "results": results, "elapsed_time": time.perf_counter() - start})
    skipped = len(sources) - len(checked)
    print(f"Done. {len(checked)} source{'s' if len(checked) != 1 else ''} checked"
          + (f", {skipped} without a freshness rule skipped" if skipped else "") + f"; wrote {target}")
    return code
