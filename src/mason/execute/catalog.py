"""`docs generate`: catalog.json (v1) from the warehouse's information schema, one query per schema."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

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
