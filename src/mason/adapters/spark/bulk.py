"""Rows into a Mason-owned Spark table (adapters/bulk.py): parquet tables, and the rows sent as one DataFrame
(a temporary view) inserted by one statement, instead of a long VALUES list for Spark's parser."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from mason.adapters.bulk import BulkColumn, BulkSQL
from mason.adapters.relation import Relation
from mason.errors import DatabaseError


class SparkBulkSQL(BulkSQL):
    TYPES = {"text": "string", "bigint": "bigint", "double": "double", "boolean": "boolean",
             "timestamp": "timestamp"}

    def string(self, value: str) -> str:  # Spark reads backslashes in literals as escapes
        return "'" + value.replace("\x00", "").replace("\\", "\\\\").replace("'", "\\'") + "'"

    def create_table(self, relation: Relation, columns: Sequence[BulkColumn]) -> None:
        cols = ", ".join(f"{self.adapter.quote(c.name)} {self.type_name(c.kind)}" for c in columns)
        self.adapter.execute(f"create table if not exists {relation.render()} ({cols}) using parquet")

    def insert(self, relation: Relation, columns: Sequence[BulkColumn], rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        schema = ", ".join(f"{self.adapter.quote(c.name)} {self.type_name(c.kind)}" for c in columns)
        view = f"mason_bulk_{uuid.uuid4().hex[:16]}"
        try:
            frame = self.adapter.spark.createDataFrame([_row(columns, r) for r in rows], schema)
            frame.createOrReplaceTempView(view)
        except Exception as exc:
            raise DatabaseError(f"could not send rows for {relation.render()} to Spark: "
                                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
        try:
            names = ", ".join(self.adapter.quote(c.name) for c in columns)
            self.adapter.execute(f"insert into {relation.render()} ({names}) select {names} from {view}")
        finally:
            try:
                self.adapter.execute(f"drop view if exists {view}")
            except DatabaseError:
                pass
        return len(rows)


def _row(columns: Sequence[BulkColumn], row: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for col, value in zip(columns, row):
        if value is None:
            out.append(None)
        elif col.kind == "timestamp" and isinstance(value, datetime):
            out.append(value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value)
        elif col.kind == "bigint":
            out.append(int(value))
        elif col.kind == "double":
            out.append(float(value))
        elif col.kind == "boolean":
            out.append(bool(value))
        else:
            out.append(str(value).replace("\x00", "") if col.kind == "text" else value)
    return tuple(out)
