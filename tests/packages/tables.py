"""Every table and view of a DuckDB file as plain JSON data: columns with types, and rows in a stable order.

Used by the package integration tests to compare Mason's warehouse with the one dbt-core built from the same
project (tests/packages/gen_dbt_expected.py). Runs as a script too, under any Python that has duckdb:
    python tables.py <warehouse.duckdb> <out.json>
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
from pathlib import Path
from typing import Any


def _value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return f"decimal:{value}"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def dump_tables(database: Path) -> dict[str, Any]:
    import duckdb

    out: dict[str, Any] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            # Mason's own run history (docs/monitoring.md) is not the project's
            "where table_schema not in ('information_schema', 'pg_catalog', 'mason_monitoring') order by 1, 2"
        ).fetchall()
        for schema, name, kind in relations:
            cursor = con.execute(f'select * from "{schema}"."{name}"')
            columns = [[d[0], str(d[1])] for d in cursor.description or []]
            rows = [[_value(v) for v in row] for row in cursor.fetchall()]
            rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
            out[f"{schema}.{name}"] = {"type": "view" if kind == "VIEW" else "table", "columns": columns,
                                       "rows": rows}
    return out


def to_text(tables: dict[str, Any]) -> str:
    """JSON with one line per row, so a regenerated file diffs readably."""
    parts = []
    for name in sorted(tables):
        table = tables[name]
        rows = ",\n   ".join(json.dumps(r) for r in table["rows"])
        parts.append(f' {json.dumps(name)}: {{"type": {json.dumps(table["type"])}, '
                     f'"columns": {json.dumps(table["columns"])},\n  "rows": [\n   {rows}]}}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(to_text(dump_tables(Path(sys.argv[1]))))
