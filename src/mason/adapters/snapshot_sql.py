"""The SQL the snapshot algorithm needs from a warehouse, in the spelling most of them share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any


class SnapshotDialect:
    """Everything warehouse-specific the snapshot algorithm (execute/snapshots.py) needs, in the common
    spelling (DuckDB's); an adapter whose SQL differs subclasses it in its own folder."""

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    def quote(self, name: str) -> str:
        return str(self.adapter.quote(name))

    def temp_table(self, purpose: str) -> str:
        return self.quote(f"mason_snapshot_{purpose}_{uuid.uuid4().hex[:12]}")

    def create_temp_table(self, name: str, select: str) -> str:
        return f"create temp table {name} as\n{select}"

    def drop_temp_table(self, name: str) -> str:
        return f"drop table if exists {name}"

    def columns(self, name: str) -> list[tuple[str, str]]:
        """(name, type) of a table's columns, in order."""
        _, table = self.adapter.execute(f"describe {name}", fetch=True)
        return [(str(r[0]), str(r[1])) for r in (table.rows if table else ())]

    def now_query(self, now_sql: str) -> str:
        return f"select cast({now_sql} as timestamp)"

    def timestamp_literal(self, value: Any) -> str:
        text = str(value).replace("'", "''")
        return f"cast('{text}' as timestamp)"

    def as_text(self, expr: str) -> str:
        return f"cast({expr} as varchar)"

    def hash(self, exprs: Sequence[str]) -> str:
        parts = " || '|' || ".join(f"coalesce({self.as_text(e)}, '')" for e in exprs)
        return f"md5({parts})"

    def distinct(self, left: str, right: str) -> str:
        return f"{left} is distinct from {right}"

    def text_literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def add_column(self, relation: str, column: str, dtype: str) -> str:
        return f"alter table {relation} add column {column} {dtype}"

    def update_from(self, relation: str, assignments: str, source: str, where: str) -> str:
        return f"update {relation}\nset {assignments}\nfrom {source}\nwhere {where}"
