"""The demo project (examples/jaffle_shop) builds on Spark (through the test session's Spark Connect server)
with the same rows as on DuckDB, snapshots included; docs generate, source freshness, show and an incremental
rerun work too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .conftest import run_mason
from .test_demo_on_postgres import SCHEMAS, _copy, _rows


@pytest.fixture(scope="module")
def built(spark_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo_spark")
    duck_project, spark_project = _copy(root / "duck"), _copy(root / "spark")
    duck_path = duck_project / "shop.duckdb"
    duck = run_mason(duck_project, "build", env={"SHOP_DUCKDB_PATH": str(duck_path)})
    spark_server.reset()
    env = {"SHOP_SPARK_URL": spark_server.url}
    spark = run_mason(spark_project, "build", "--target", "spark", env=env)
    tables: dict[str, Any] = {"duckdb": {}, "spark": {}}
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
    client = spark_server.client()
    databases = {r[0] for r in spark_server.sql("show databases")}
    for schema in SCHEMAS:
        if schema not in databases:
            continue
        for _ns, name, temporary in spark_server.sql(f"show tables in `{schema}`"):
            if temporary:
                continue
            frame = client.sql(f"select * from `{schema}`.`{name}`")
            tables["spark"][f"{schema}.{name}"] = _rows(frame.columns, [tuple(r) for r in frame.collect()])
    more = {args: run_mason(spark_project, *args, "--target", "spark", env=env)
            for args in (("docs", "generate"), ("source", "freshness"), ("show", "--select", "customers"),
                         ("build", "--select", "fct_orders"))}
    return {"duck": duck, "spark": spark, "tables": tables, "more": more, "spark_project": spark_project}


def test_builds_succeed_on_both(built: dict[str, Any]) -> None:
    for key in ("duck", "spark"):
        result = built[key]
        assert result.code == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_same_relations(built: dict[str, Any]) -> None:
    tables = built["tables"]
    assert set(tables["spark"]) == set(tables["duckdb"])
    assert len(tables["duckdb"]) >= 15


def test_same_rows_per_relation(built: dict[str, Any]) -> None:
    tables = built["tables"]
    different = [name for name in sorted(tables["duckdb"]) if tables["duckdb"][name] != tables["spark"].get(name)]
    details = {name: (tables["duckdb"][name][:3], (tables["spark"].get(name) or [])[:3]) for name in different}
    assert not different, details
    assert any(rows for rows in tables["spark"].values())


def test_docs_freshness_show_and_incremental_rerun_on_spark(built: dict[str, Any]) -> None:
    from dbt_artifacts_parser.parser import parse_catalog, parse_sources

    for args, result in built["more"].items():
        assert result.code == 0, (args, result.stdout[-3000:], result.stderr[-2000:])
    catalog = json.loads((Path(built["spark_project"]) / "target" / "catalog.json").read_text())
    parse_catalog(catalog)
    customers = catalog["nodes"]["model.shop.customers"]
    assert customers["metadata"]["type"] == "BASE TABLE"
    assert customers["columns"]["customer_id"]["type"] == "int"
    assert catalog["nodes"]["model.shop.customer_segments"]["metadata"]["type"] == "VIEW"
    sources = json.loads((Path(built["spark_project"]) / "target" / "sources.json").read_text())
    parse_sources(sources)
    assert [(r["unique_id"], r["status"]) for r in sources["results"]] == [("source.shop.jaffle.raw_orders", "pass")]
    assert "customer_id" in built["more"][("show", "--select", "customers")].stdout
