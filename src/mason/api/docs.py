"""`mason docs generate`: the catalog of the selected relations."""

from __future__ import annotations

import time
from typing import Any

from mason.artifacts.manifest import metadata
from mason.artifacts.writer import write_json
from mason.execute.catalog import SCHEMA, _catalog_rows, _entry


def generate(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.api import parse_and_write, selected
    from mason.compile.compiler import Compiler

    start = time.perf_counter()
    parsed = parse_and_write(session)
    manifest = parsed.manifest
    ids = selected(parsed, session, opts, ("model", "seed", "snapshot", "source", "test", "analysis"))
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    try:
        if not opts.get("no_compile"):
            compiler = Compiler(session, parsed, adapter)
            compiler.compile_selected({u for u in ids if u in manifest.nodes
                                       and manifest.nodes[u].resource_type in ("model", "test", "analysis")})
        if not opts.get("empty_catalog"):
            wanted: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
            for uid in ids:
                node = manifest.nodes.get(uid)
                if node is not None and node.resource_type in ("model", "seed", "snapshot") and not node.is_ephemeral:
                    wanted.setdefault((node.database or "", node.schema or ""), []).append((uid, node.alias or "", "n"))
                src = manifest.sources.get(uid)
                if src is not None:
                    wanted.setdefault((src.database or "", src.schema), []).append((uid, src.identifier, "s"))
            for (database, schema), items in sorted(wanted.items()):
                rows = _catalog_rows(adapter, database, schema)
                for uid, ident, kind in items:
                    found = rows.get(ident.lower())
                    if found is None:
                        continue
                    (nodes if kind == "n" else sources)[uid] = _entry(uid, database, schema, found)
    finally:
        adapter.close()
    data = {"metadata": metadata(SCHEMA, session.invocation_id, session.started_at, dict(session.env)),
            "nodes": nodes, "sources": sources, "errors": None}
    write_json(parsed.loaded.target_dir / "catalog.json", data)
    if not session.flags.quiet:
        print(f"Catalog written to {parsed.loaded.project.target_path}/catalog.json: {len(nodes)} nodes, "
              f"{len(sources)} sources, in {time.perf_counter() - start:.2f}s")
    return 0
