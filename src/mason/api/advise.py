"""`mason advise`: point at slow models with concrete advice (docs/docs_site.md, "mason advise")."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from mason.observe import masking
from mason.observe.masking import scrub


def advise(session: Any, opts: dict[str, Any], echo: Callable[[str], None] = print) -> int:
    from mason.adapters.factory import open_adapter
    from mason.adapters.target import SQL_DIALECTS
    from mason.advise.engine import advise as run_rules
    from mason.advise.engine import timings_from_artifacts, timings_from_history
    from mason.advise.rules import Settings
    from mason.api import parse_and_write, selected
    from mason.compile.compiler import Compiler
    from mason.execute.catalog import _catalog_rows
    from mason.monitor.config import history_settings
    from mason.monitor.report import HistoryTables

    parsed = parse_and_write(session)
    loaded = parsed.loaded
    masking.register(loaded.target.secrets)
    manifest = parsed.manifest
    ids = {u for u in selected(parsed, session, opts, ("model",)) if u.startswith("model.")}
    settings = Settings(min_rows=int(opts.get("min_rows") or 100_000),
                        max_cte_chain=int(opts.get("max_cte_chain") or 4))

    def warn(message: str) -> None:
        print(scrub(f"Warning: {message}"), file=sys.stderr)

    adapter = open_adapter(loaded.target, session, loaded.project.quoting)
    try:
        wanted = {u for u in ids if not manifest.nodes[u].is_ephemeral}
        for uid in list(wanted):  # readers of the selected models: the index advice looks at how they are read
            wanted.update(c for c in manifest.child_map.get(uid, ()) if c.startswith("model."))
        compiled = {uid: c.compiled_code for uid, c in Compiler(session, parsed, adapter).compile_selected(
            wanted).items() if c.compiled_code}
        timings: dict[str, float] = {}
        source = "none"
        try:
            history = history_settings(loaded.project.monitoring, {}, lambda m: None)
            tables = HistoryTables(adapter, history.database or getattr(adapter, "database", None), history.schema)
            if tables.exists() and tables.has("mason_node_results"):
                timings, source = timings_from_history(tables, int(opts.get("runs") or 10)), "history"
        except Exception as exc:
            try:
                adapter.rollback()
            except Exception:
                pass
            warn(f"advise: could not read the run history ({str(exc).splitlines()[0] if str(exc) else exc})")
        if not timings:
            timings = timings_from_artifacts(loaded.target_dir)
            source = "run_results.json" if timings else "none"
        found = run_rules(manifest, adapter, compiled, timings, SQL_DIALECTS.get(loaded.target.type), ids, settings,
                          lambda db, schema: _catalog_rows(adapter, db, schema), warn)
    finally:
        adapter.close()
    limit = int(opts.get("limit") or 0)
    shown = found[:limit] if limit > 0 else found
    if opts.get("output") == "json":
        echo(scrub(json.dumps({"timings_from": source, "advice": [a.as_dict() for a in shown]}, indent=2)))
    else:
        echo(scrub(report(shown, len(ids), source)))
    return 0


def report(found: list[Any], models: int, source: str) -> str:
    timing = {"history": "median run times from the run history", "run_results.json":
              "run times from target/run_results.json", "none": "no run times yet: run the project first"}[source]
    if not found:
        return f"No advice for {models} model{'s' if models != 1 else ''} ({timing})."
    lines = [f"{len(found)} piece{'s' if len(found) != 1 else ''} of advice for {models} model"
             f"{'s' if models != 1 else ''}, costliest first ({timing}):", ""]
    for n, a in enumerate(found, 1):
        rows = "" if a.rows is None else f", {a.rows:,} rows"
        lines.append(f"{n}. {a.location}  {a.uid}  [{a.kind}]  ({a.cost:.2f} s a run{rows})")
        lines.append(f"   {a.message}")
        lines.append(f"   fix: {a.fix}")
        lines.extend(f"   see {place}" for place in a.also)
        lines.append("")
    return "\n".join(lines).rstrip()
