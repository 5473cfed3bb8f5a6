"""Rows from Python into a table Mason owns (the run history, docs/monitoring.md): the table created once
(`create table if not exists`), the rows sent in as few statements as possible (multi-row VALUES, in chunks).

The common spelling suits DuckDB and PostgreSQL; a warehouse that differs returns its own subclass from
`adapter.bulk_sql()` (Spark: adapters/spark/bulk.py, rows sent as a DataFrame).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from mason.adapters.relation import Relation

KINDS = ("text", "bigint", "double", "boolean", "timestamp")
CHUNK = 2000  # rows per INSERT: one statement for a 1,000-model run, bounded statement size beyond


@dataclass(frozen=True, slots=True)
class BulkColumn:
    name: str
    kind: str  # one of KINDS


class BulkSQL:
    """Creating and filling a table of plain columns, in the common SQL spelling."""

    TYPES = {"text": "varchar", "bigint": "bigint", "double": "double precision", "boolean": "boolean",
             "timestamp": "timestamp"}

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    # -- spelling
    def type_name(self, kind: str) -> str:
        return self.TYPES[kind]

    def string(self, value: str) -> str:
        return "'" + value.replace("\x00", "").replace("'", "''") + "'"

    def literal(self, kind: str, value: Any) -> str:
        if value is None:
            return "null"
        if kind == "text":
            return self.string(str(value))
        if kind == "boolean":
            return "true" if value else "false"
        if kind == "bigint":
            return str(int(value))
        if kind == "double":
            number = float(value)
            return "null" if math.isnan(number) or math.isinf(number) else repr(number)
        if kind == "timestamp":
            return f"cast({self.string(timestamp_text(value))} as {self.type_name('timestamp')})"
        raise ValueError(f"unknown column kind {kind!r}")

    # -- statements
    def create_table(self, relation: Relation, columns: Sequence[BulkColumn]) -> None:
        cols = ",\n    ".join(f"{self.adapter.quote(c.name)} {self.type_name(c.kind)}" for c in columns)
        self.adapter.execute(f"create table if not exists {relation.render()} (\n    {cols}\n)")

    def insert(self, relation: Relation, columns: Sequence[BulkColumn], rows: Sequence[Sequence[Any]]) -> int:
        """Append `rows` (values in the order of `columns`); the number of rows written."""
        names = ", ".join(self.adapter.quote(c.name) for c in columns)
        kinds = [c.kind for c in columns]
        for start in range(0, len(rows), CHUNK):
            values = ",\n".join("(" + ", ".join(self.literal(k, v) for k, v in zip(kinds, row)) + ")"
                                for row in rows[start:start + CHUNK])
            self.adapter.execute(f"insert into {relation.render()} ({names}) values\n{values}")
        return len(rows)


def timestamp_text(value: Any) -> str:
    """A timestamp as UTC wall-clock text (`2026-01-02 03:04:05.000006`): what the history tables hold."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return f"{value.isoformat()} 00:00:00"
    return str(value)


def bulk_sql(adapter: Any) -> BulkSQL:
    """The adapter's way of writing rows (`adapter.bulk_sql()` where it has one)."""
    own = getattr(adapter, "bulk_sql", None)
    return own() if own is not None else BulkSQL(adapter)  # type: ignore[no-any-return]
