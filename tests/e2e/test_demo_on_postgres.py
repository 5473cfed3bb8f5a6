"""The demo project (examples/jaffle_shop) builds on DuckDB and on PostgreSQL with the same rows everywhere."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .conftest import run_mason

DEMO = Path(__file__).resolve().parents[2] / "examples" / "jaffle_shop"
SCHEMAS = ("main", "main_marts", "main_snapshots")
# columns that differ by design: the target's name, and snapshot times taken from the clock (check strategy)
VOLATILE = {"target_name", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}


def _copy(dest: Path) -> Path:
    target = dest / "jaffle_shop"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return target


def _norm(value: Any) -> Any:
    """One spelling per value across the two warehouses (Decimal('1.50') == 1.5, datetimes without tz)."""
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _rows(names: list[str], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    keep = [i for i, name in enumerate(names) if name not in VOLATILE]
    normalised = [tuple(_norm(row[i]) for i in keep) for row in rows]
    return sorted(normalised, key=lambda row: tuple((v is not None, str(type(v)), v) for v in row))


@pytest.fixture(scope="module")
def built(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    duck_project, pg_project = _copy(root / "duck"), _copy(root / "pg")
    duck_path = duck_project / "shop.duckdb"
    duck = run_mason(duck_project, "build", env={"SHOP_DUCKDB_PATH": str(duck_path)})
    database = pg_server.create_database("jaffle_shop_demo")
    try:
        env = {"SHOP_PG_HOST": pg_server.host, "SHOP_PG_PORT": str(pg_server.port), "SHOP_PG_USER": pg_server.user,
               "SHOP_PG_PASSWORD": pg_server.password, "SHOP_PG_DBNAME": database}
        pg = run_mason(pg_project, "build", "--target", "postgres", env=env)
        tables: dict[str, Any] = {"duckdb": {}, "postgres": {}}
        con = duckdb.connect(str(duck_path), read_only=True)
        try:
            for schema, name in con.execute(
                    "select table_schema, table_name from information_schema.tables "
                    f"where table_schema in {SCHEMAS}").fetchall():
                cur = con.execute(f'select * from "{schema}"."{name}"')
                rows = cur.fetchall()
                tables["duckdb"][f"{schema}.{name}"] = _rows([d[0] for d in cur.description], rows)
        finally:
            con.close()
        with pg_server.connect(database) as conn:
            for schema, name in conn.execute(
                    "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    f"where n.nspname in {SCHEMAS} and c.relkind in ('r', 'v', 'm')").fetchall():
                cur = conn.execute(f'select * from "{schema}"."{name}"')
                rows = cur.fetchall()
                tables["postgres"][f"{schema}.{name}"] = _rows([d.name for d in cur.description or []], rows)
        more = {args: run_mason(pg_project, *args, "--target", "postgres", env=env)
                for args in (("docs", "generate"), ("source", "freshness"), ("show", "--select", "customers"),
                             ("build", "--select", "fct_orders"))}
    finally:
        pg_server.drop_database(database)
    return {"duck": duck, "pg": pg, "tables": tables, "more": more, "pg_project": pg_project}


def test_builds_succeed_on_both(built: dict[str, Any]) -> None:
    for key in ("duck", "pg"):
        result = built[key]
        assert result.code == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_same_relations(built: dict[str, Any]) -> None:
    tables = built["tables"]
    assert set(tables["postgres"]) == set(tables["duckdb"])
    assert len(tables["duckdb"]) >= 15


def test_same_rows_per_relation(built: dict[str, Any]) -> None:
    tables = built["tables"]
    different = [name for name in sorted(tables["duckdb"])
                 if tables["duckdb"][name] != tables["postgres"].get(name)]
    details = {name: (tables["duckdb"][name][:3], (tables["postgres"].get(name) or [])[:3]) for name in different}
    assert not different, details
    assert any(rows for rows in tables["postgres"].values())


def test_docs_freshness_show_and_incremental_rerun_on_postgres(built: dict[str, Any]) -> None:
    import json

    from dbt_artifacts_parser.parser import parse_catalog, parse_sources

    for args, result in built["more"].items():
        assert result.code == 0, (args, result.stdout[-3000:], result.stderr[-2000:])
    target = built["pg_project"] / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    parse_catalog(catalog)
    customers = catalog["nodes"]["model.shop.customers"]
    assert customers["metadata"]["type"] == "BASE TABLE"
    assert customers["columns"]["customer_id"]["type"] == "integer"
    assert catalog["nodes"]["model.shop.customer_segments"]["metadata"]["type"] == "VIEW"
    sources = json.loads((target / "sources.json").read_text())
    parse_sources(sources)
    assert [(r["unique_id"], r["status"]) for r in sources["results"]] == [("source.shop.jaffle.raw_orders", "pass")]
    assert "customer_id" in built["more"][("show", "--select", "customers")].stdout
