"""`mason batches`: built and missing batches of microbatch models."""

from __future__ import annotations

from typing import Any

from mason.execute.microbatch import (
    MicrobatchConfig,
    _fmt,
    _ranges,
    advance,
    built_batches,
    ledger_relation,
    now_utc,
    truncate,
    windows,
)


def report(session: Any, opts: dict[str, Any]) -> int:
    """`mason batches`: for each selected microbatch model, its built and missing batches from `begin`
    to now (from the ledger), as text or JSON."""
    import json

    from mason.adapters.factory import open_adapter
    from mason.api import parse_and_write, selected

    parsed = parse_and_write(session)
    ids = sorted(uid for uid in selected(parsed, session, opts, ("model",))
                 if parsed.manifest.nodes[uid].config.get("incremental_strategy") == "microbatch"
                 and parsed.manifest.nodes[uid].materialized == "incremental")
    if not ids:
        print("No microbatch models selected.")
        return 0
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    out: list[dict[str, Any]] = []
    try:
        for uid in ids:
            node = parsed.manifest.nodes[uid]
            cfg = MicrobatchConfig.of(node)
            built = built_batches(adapter, ledger_relation(adapter, node), node)
            expected = windows(cfg.begin, advance(truncate(now_utc(), cfg.grain), cfg.grain), cfg.grain)
            missing = [b for b in expected if b not in built]
            out.append({"unique_id": uid, "batch_size": cfg.grain, "begin": _fmt(cfg.begin),
                        "built": [[_fmt(s), _fmt(e)] for s, e in sorted(built)],
                        "missing": [[_fmt(s), _fmt(e)] for s, e in missing]})
    finally:
        adapter.close()
    if opts.get("output") == "json":
        print(json.dumps(out, indent=2))
        return 0
    for entry in out:
        print(f"{entry['unique_id']} ({entry['batch_size']} batches from {entry['begin']}): "
              f"{len(entry['built'])} built, {len(entry['missing'])} missing")
        for label in ("built", "missing"):
            for start, end in _ranges(entry[label]):
                print(f"  {label:7s} {start} .. {end}")
    return 0
