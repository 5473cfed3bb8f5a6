"""Snapshots on PostgreSQL: the common snapshot SQL, with the catalog read PostgreSQL's way."""

from __future__ import annotations

from mason.adapters.snapshot_sql import SnapshotDialect


class PostgresSnapshotDialect(SnapshotDialect):
    """PostgreSQL spells everything the snapshot needs like DuckDB, except reading a table's columns."""

    def columns(self, name: str) -> list[tuple[str, str]]:
        literal = "'" + name.replace("'", "''") + "'"
        _, table = self.adapter.execute(
            "select attname, pg_catalog.format_type(atttypid, atttypmod) from pg_catalog.pg_attribute "
            f"where attrelid = to_regclass({literal}) and attnum > 0 and not attisdropped order by attnum",
            fetch=True)
        return [(str(r[0]), str(r[1])) for r in (table.rows if table else ())]
