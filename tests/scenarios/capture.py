"""Read relations back from a scenario's DuckDB file into a comparable, JSON-ready form.

Standalone on purpose (only the standard library and `duckdb`): the dbt reference generator runs it with
the dbt virtualenv's Python as a script, the pytest module imports it. Both sides therefore normalize
values with the same code.

A capture of one relation is `{"columns": [[name, type], ...], "rows": [[...], ...]}` (rows sorted), or
None when the relation does not exist. Values are made JSON-ready (timestamps and dates as ISO text,
decimals as text) and two kinds of non-deterministic values are normalized:

* a timestamp taken from the clock during step N of the scenario (snapshot run times) becomes
  `"@step N"`; timestamps outside every step's time window (the data's own, or far-future
  `dbt_valid_to_current` values) are kept exactly;
* values of *opaque* columns (hashes of run times, like the check strategy's `dbt_scd_id`) become
  `"#k"`, numbered by first appearance in the sorted rows, so equal hashes stay equal and distinct ones
  distinct.

Usage as a script: `python capture.py DB_PATH SPEC_JSON` prints the captures as JSON, where SPEC_JSON is
`{"schema": ..., "relations": [...], "windows": [[start, end], ...], "opaque": {relation: [columns]}}`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
from typing import Any

Window = tuple[dt.datetime, dt.datetime]


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _plain(value: Any, windows: list[Window]) -> Any:
    """A JSON-ready value; clock readings taken during a step become that step's token."""
    if isinstance(value, dt.datetime):
        naive = _utc_naive(value)
        for index, (start, end) in enumerate(windows, start=1):
            if start <= naive <= end:
                return f"@step {index}"
        text = naive.isoformat(sep=" ")
        return text + ("Z" if value.tzinfo is not None else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.time | dt.timedelta | bytes | bytearray):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v, windows) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, windows) for k, v in value.items()}
    return value


def _sort_key(row: list[Any]) -> list[tuple[int, str, Any]]:
    return [(0, "", 0) if v is None else (1, type(v).__name__, v if isinstance(v, int | float | str) else str(v))
            for v in row]


def normalize_rows(rows: list[list[Any]], opaque: list[int]) -> list[list[Any]]:
    """Sort rows; replace values at the `opaque` positions by first-appearance tokens."""
    if opaque:
        rows = sorted(rows, key=lambda r: _sort_key([v for i, v in enumerate(r) if i not in opaque]))
        tokens: dict[tuple[int, Any], str] = {}
        for row in rows:
            for i in opaque:
                if row[i] is not None:
                    key = (i, json.dumps(row[i], sort_keys=True))
                    row[i] = tokens.setdefault(key, f"#{sum(1 for k in tokens if k[0] == i) + 1}")
    return sorted(rows, key=_sort_key)


def capture(db_path: str, schema: str, relations: list[str], windows: list[Window],
            opaque: dict[str, list[str]]) -> dict[str, Any]:
    """Columns (in order, with types) and sorted, normalized rows of each relation in `schema`."""
    import duckdb

    out: dict[str, Any] = {}
    con = duckdb.connect(db_path, read_only=True)
    try:
        for name in relations:
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
            if not cols:
                out[name] = None
                continue
            quoted = '"' + schema.replace('"', '""') + '"."' + name.replace('"', '""') + '"'
            raw = con.execute(f"select * from {quoted}").fetchall()
            rows = [[_plain(v, windows) for v in row] for row in raw]
            names = [c for c, _ in cols]
            positions = [names.index(c) for c in opaque.get(name, []) if c in names]
            out[name] = {"columns": [[c, t] for c, t in cols], "rows": normalize_rows(rows, positions)}
    finally:
        con.close()
    return out


def _parse_windows(raw: list[list[str]]) -> list[Window]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in raw]


def main(argv: list[str]) -> None:
    db_path, spec_text = argv
    spec = json.loads(spec_text)
    result = capture(db_path, spec["schema"], spec["relations"], _parse_windows(spec["windows"]), spec["opaque"])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
