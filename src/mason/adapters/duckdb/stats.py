"""`mason advise`'s statistics on DuckDB: the tables of a schema with their row counts (duckdb_tables()'s
estimate, exact for tables DuckDB wrote) and sizes; views have none."""

from __future__ import annotations

from typing import Any


def relation_stats(adapter: Any, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
    db = str(database or adapter.database or "").replace("'", "''")
    sch = schema.replace("'", "''")
    _, table = adapter.execute(
        "select table_name, estimated_size, estimated_size * greatest(column_count, 1) * 8 "
        "from duckdb_tables() "
        f"where lower(database_name) = lower('{db}') and lower(schema_name) = lower('{sch}')", fetch=True)
    return {str(name).lower(): {"rows": int(rows) if rows is not None else None,
                                "bytes": int(size) if size is not None else None}
            for name, rows, size in (table.rows if table else ())}
