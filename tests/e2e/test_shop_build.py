"""`mason build` on the shop project gives dbt-core's tables, column types and statuses."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from .conftest import PROJECTS, copy_project, run_mason

EXPECTED = PROJECTS / "shop" / "expected" / "build"
TYPES = json.loads((EXPECTED / "tables" / "_types.json").read_text())
TABLES = sorted(p.name for p in (EXPECTED / "tables").glob("*.csv"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    project = copy_project("shop", tmp_path_factory.mktemp("build"))
    result = run_mason(project, "build", env={"SHOP_DUCKDB_PATH": str(project / "shop.duckdb")})
    return project, result


def _value(v: object) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None else str(v)


def test_build_exits_zero(built: tuple[Path, object]) -> None:
    _, result = built
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", TABLES)
def test_table_matches_dbt(built: tuple[Path, object], name: str) -> None:
    project, _ = built
    schema, table = name[:-4].split(".", 1)
    con = duckdb.connect(str(project / "shop.duckdb"), read_only=True)
    try:
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
        assert [list(c) for c in cols] == TYPES[f"{schema}.{table}"]["columns"]
        rows = [[_value(v) for v in r] for r in con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()]
    finally:
        con.close()
    with (EXPECTED / "tables" / name).open() as handle:
        expected = list(csv.reader(handle))[1:]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected):
        assert [g for g, w in zip(got, want) if w != "<volatile>"] == [w for w in want if w != "<volatile>"]


def test_run_results_match_dbt(built: tuple[Path, object]) -> None:
    project, _ = built
    expected = json.loads((EXPECTED / "run_results_summary.json").read_text())["results"]
    data = json.loads((project / "target" / "run_results.json").read_text())
    got = {r["unique_id"]: r for r in data["results"]}
    assert sorted(got) == sorted(expected)
    for uid, want in expected.items():
        assert got[uid]["status"] == want["status"], uid
        assert got[uid]["failures"] == want["failures"], uid
        assert got[uid]["message"] == want["message"], uid
        assert got[uid]["relation_name"] == want["relation_name"], uid


def test_artifacts_validate(built: tuple[Path, object]) -> None:
    from dbt_artifacts_parser.parser import parse_manifest, parse_run_results

    project, _ = built
    parse_run_results(json.loads((project / "target" / "run_results.json").read_text()))
    parse_manifest(json.loads((project / "target" / "manifest.json").read_text()))


def test_second_build_is_incremental(built: tuple[Path, object]) -> None:
    """A second run of the incremental model takes the is_incremental() branch and keeps dbt's rows."""
    project, _ = built
    result = run_mason(project, "run", "-s", "fct_orders", env={"SHOP_DUCKDB_PATH": str(project / "shop.duckdb")})
    assert result.code == 0, result.stdout[-2000:]
    compiled = (project / "target" / "compiled" / "shop" / "models" / "marts" / "fct_orders.sql").read_text()
    expected_sql = (PROJECTS / "shop" / "expected" / "incremental" / "fct_orders.compiled.sql").read_text()
    assert compiled.split() == expected_sql.split()
    con = duckdb.connect(str(project / "shop.duckdb"), read_only=True)
    try:
        rows = [[_value(v) for v in r] for r in con.execute('select * from main_marts.fct_orders order by all').fetchall()]
    finally:
        con.close()
    with (PROJECTS / "shop" / "expected" / "incremental" / "main_marts.fct_orders.csv").open() as handle:
        assert rows == list(csv.reader(handle))[1:]


def test_docs_generate_and_source_freshness(built: tuple[Path, object]) -> None:
    from dbt_artifacts_parser.parser import parse_catalog, parse_sources

    project, _ = built
    env = {"SHOP_DUCKDB_PATH": str(project / "shop.duckdb")}
    assert run_mason(project, "docs", "generate", env=env).code == 0
    catalog = json.loads((project / "target" / "catalog.json").read_text())
    parse_catalog(catalog)
    customers = catalog["nodes"]["model.shop.customers"]
    assert customers["metadata"]["type"] == "BASE TABLE"
    assert list(customers["columns"]) == [c for c, _ in TYPES["main_marts.customers"]["columns"]]
    assert catalog["sources"]["source.shop.jaffle.raw_orders"]["metadata"]["name"] == "raw_orders"

    res = run_mason(project, "source", "freshness", env=env)
    assert res.code == 0, res.stdout
    sources = json.loads((project / "target" / "sources.json").read_text())
    parse_sources(sources)
    assert [(r["unique_id"], r["status"]) for r in sources["results"]] == [("source.shop.jaffle.raw_orders", "pass")]


def test_done_line_counts_as_dbt(built: tuple[Path, object]) -> None:
    """dbt-core 1.11 on this project ends with `Done. PASS=65 WARN=1 ERROR=0 SKIP=0 NO-OP=2 TOTAL=68`: the
    three hooks count as passes, the exposure and the saved query as no-ops, every run_results entry once."""
    _, result = built
    done = [line for line in result.stdout.splitlines() if "Done. PASS=" in line]  # type: ignore[attr-defined]
    assert done and done[-1].endswith("Done. PASS=65 WARN=1 ERROR=0 SKIP=0 NO-OP=2 TOTAL=68")
