"""`docs generate`: catalog.json (v1) from the warehouse's information schema, one query per schema."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from mason.artifacts.manifest import metadata
from mason.artifacts.writer import write_json

SCHEMA = "https://schemas.getdbt.com/dbt/catalog/v1.json"


def _catalog_rows(adapter: Any, database: str, schema: str) -> dict[str, dict[str, Any]]:
    """identifier(lower) -> {type, columns[(name, type, index)]}"""
    own = getattr(adapter, "catalog_query", None)  # adapters whose information_schema misses relations
    listed = getattr(adapter, "catalog_rows", None)  # adapters with no information_schema (Spark)
    db = database.replace("'", "''")
    sch = schema.replace("'", "''")
    table: Any
    if listed is not None:
        table = SimpleNamespace(rows=listed(database, schema))
    elif own is not None:
        _, table = adapter.execute(own(database, schema), fetch=True)
    else:
        _, table = adapter.execute(
            "select t.table_name, t.table_type, c.column_name, c.ordinal_position, c.data_type "
            "from information_schema.tables t join information_schema.columns c "
            "on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema and c.table_name = t.table_name "
            f"where lower(t.table_catalog) = lower('{db}') and lower(t.table_schema) = lower('{sch}') "
            "order by t.table_name, c.ordinal_position",
            fetch=True,
        )
    out: dict[str, dict[str, Any]] = {}
    for name, ttype, col, pos, dtype in table.rows if table else ():
        entry = out.setdefault(str(name).lower(), {"name": name, "type": ttype, "columns": []})
        entry["columns"].append((col, dtype, int(pos)))
    return out


def _entry(uid: str, database: str, schema: str, found: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"type": found["type"] if found["type"] in ("VIEW", "MATERIALIZED VIEW") else "BASE TABLE",
                     "schema": schema,
                     "name": found["name"], "database": database, "comment": None, "owner": None},
        "columns": {col: {"type": dtype, "index": idx, "name": col, "comment": None}
                    for col, dtype, idx in found["columns"]},
        "stats": {"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": False, "include": False,
                                "description": "Indicates whether there are statistics for this table"}},
        "unique_id": uid,
    }


def generate(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.cli.commands import parse_and_write, selected
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
