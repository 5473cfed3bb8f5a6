"""Rows into a Mason-owned PostgreSQL table (adapters/bulk.py): one COPY ... FROM STDIN on the thread's
connection (inside the caller's transaction), values sent as psycopg adapts them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mason.adapters.bulk import BulkColumn, BulkSQL
from mason.adapters.relation import Relation


class PostgresBulkSQL(BulkSQL):
    TYPES = {"text": "text", "bigint": "bigint", "double": "double precision", "boolean": "boolean",
             "timestamp": "timestamp"}

    def insert(self, relation: Relation, columns: Sequence[BulkColumn], rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        names = ", ".join(self.adapter.quote(c.name) for c in columns)
        conn = self.adapter.connection
        try:
            with conn.cursor() as cur, cur.copy(f"copy {relation.render()} ({names}) from stdin") as copy:
                for row in rows:
                    copy.write_row(tuple(v.replace("\x00", "") if isinstance(v, str) else v for v in row))
        except self.adapter._psycopg.Error as exc:
            raise self.adapter._error(exc) from exc
        return len(rows)
