"""`mason advise`'s statistics on PostgreSQL: row counts and sizes from pg_class (a count where the table was
never analyzed), distinct counts from pg_stats, and EXPLAIN plans."""

from __future__ import annotations

from typing import Any


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def relation_stats(adapter: Any, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
    _, table = adapter.execute(
        "select c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) "
        "from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
        f"where n.nspname = {_literal(schema)} and c.relkind in ('r', 'm', 'p')", fetch=True)
    out: dict[str, dict[str, Any]] = {}
    for name, rows, size in table.rows if table else ():
        count = int(rows) if rows is not None else -1
        if count < 0:  # never analyzed: count it
            ident = '"' + str(name).replace('"', '""') + '"'
            sch = '"' + schema.replace('"', '""') + '"'
            _, counted = adapter.execute(f"select count(*) from {sch}.{ident}", fetch=True)
            count = int(counted.rows[0][0]) if counted and counted.rows else 0
        out[str(name).lower()] = {"rows": count, "bytes": int(size) if size is not None else None}
    return out


def column_stats(adapter: Any, database: str | None, schema: str, table_name: str) -> dict[str, float]:
    """column -> n_distinct as pg_stats has it (negative: a fraction of the rows); empty before ANALYZE."""
    _, table = adapter.execute(
        "select attname, n_distinct from pg_catalog.pg_stats "
        f"where schemaname = {_literal(schema)} and tablename = {_literal(table_name)}", fetch=True)
    return {str(col): float(n) for col, n in (table.rows if table else ()) if n is not None}


def explain(adapter: Any, sql: str) -> str:
    """The plan PostgreSQL would choose (EXPLAIN without ANALYZE: nothing runs)."""
    _, table = adapter.execute(f"explain {sql}", fetch=True)
    return "\n".join(str(r[0]) for r in (table.rows if table else ()))
