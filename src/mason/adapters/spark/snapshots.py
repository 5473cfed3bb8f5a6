"""Snapshots on Spark: the snapshot algorithm, spelled for Spark SQL.

Spark's parquet tables have no UPDATE, so closing versions is a rewrite: the table's rows with the update
applied are computed into a staging table, then written back with one ``insert overwrite`` (the table keeps
its definition and location). The run's scratch tables are real tables (the algorithm reads them after the
snapshot table changed, so lazy temporary views would not do) in the target schema, dropped at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from mason.adapters.snapshot_sql import SnapshotDialect

_HIT = "__mason_hit"


class SparkSnapshotDialect(SnapshotDialect):
    def temp_table(self, purpose: str) -> str:
        schema = self.quote(self.adapter.settings.schema)
        return f"{schema}.{self.quote(f'mason_snapshot_{purpose}_{uuid.uuid4().hex[:12]}')}"

    def create_temp_table(self, name: str, select: str) -> str:
        schema = name.split(".", 1)[0]
        return f"create database if not exists {schema};\ncreate table {name} using parquet as\n{select}"

    def columns(self, name: str) -> list[tuple[str, str]]:
        _, table = self.adapter.execute(f"describe table {name}", fetch=True)
        out = []
        for col, dtype, _comment in table.rows if table else ():
            if not col or str(col).startswith("#"):
                break
            out.append((str(col), str(dtype)))
        return out

    def now_query(self, now_sql: str) -> str:
        return f"select cast({'current_timestamp()' if now_sql == 'now()' else now_sql} as timestamp)"

    def as_text(self, expr: str) -> str:
        return f"cast({expr} as string)"

    def hash(self, exprs: Sequence[str]) -> str:
        parts = " || '|' || ".join(f"coalesce({self.as_text(e)}, '')" for e in exprs)
        return f"md5({parts})"

    def text_literal(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def add_column(self, relation: str, column: str, dtype: str) -> str:
        return f"alter table {relation} add columns ({column} {dtype})"

    def update_from(self, relation: str, assignments: str, source: str, where: str) -> str:
        """`update relation set col = expr from source where ...` as a rewrite of the whole table: each row
        joined to its match in `source` (the `where` condition), the assignment applied where there is one."""
        column, expr = (part.strip() for part in assignments.split(" = ", 1))
        source_sql, alias = source.rsplit(" as ", 1)
        names = [self.quote(c) for c, _ in self.columns(relation)]
        picked = [f"case when {alias}.{_HIT} then {expr} else {relation}.{n} end as {n}"
                  if n.lower() == column.lower() else f"{relation}.{n}" for n in names]
        staged = self.temp_table("rewrite")
        return (f"create table {staged} using parquet as\n"
                f"select {', '.join(picked)}\nfrom {relation}\n"
                f"left join (select *, true as {_HIT} from {source_sql} as mason_s) as {alias} on {where};\n"
                f"insert overwrite table {relation} select * from {staged};\n"
                f"drop table if exists {staged}")


def dialect(adapter: Any) -> SparkSnapshotDialect:
    return SparkSnapshotDialect(adapter)
