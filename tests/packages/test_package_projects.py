"""Packages written the way popular dbt packages are (generic tests, SQL generators, a date dimension, a
relation-compare package, a package shipping materializations), installed with `mason deps` from `local:`
entries into an integration project and built twice with `mason build` on DuckDB.

Every table Mason builds must equal, column types and rows, what dbt-core 1.11 + dbt-duckdb built from the
same project (projects/<name>/expected/, written by gen_dbt_expected.py), and every node must end with the
status dbt gave it. A few results are also spelled out here, so a reader sees what the packages do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .tables import dump_tables

HERE = Path(__file__).resolve().parent


def mason(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    return subprocess.run([sys.executable, "-m", "mason", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=600)


def copy_packages(dest: Path) -> Path:
    """The libs and projects, side by side as in the repository (the projects use `local: ../../libs/x`)."""
    target = dest / "packages"
    shutil.copytree(HERE, target, ignore=shutil.ignore_patterns("expected", "target", "dbt_packages", "logs",
                                                                "*.duckdb*", "__pycache__", "*.py"))
    return target


def expected(project: str, name: str) -> Any:
    return json.loads((HERE / "projects" / project / "expected" / name).read_text())


def statuses(project: Path) -> dict[str, str]:
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


def rows(project: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_same_tables(actual: dict[str, Any], reference: dict[str, Any]) -> None:
    assert sorted(actual) == sorted(reference), "Mason and dbt built different relations"
    for name, ref in reference.items():
        got = actual[name]
        assert got["type"] == ref["type"], name
        assert got["columns"] == ref["columns"], f"{name}: column names or types differ from dbt's"
        assert got["rows"] == ref["rows"], f"{name}: rows differ from dbt's"


def installed_project(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A copy of projects/<name> beside the libs, with `mason deps` run."""
    project = copy_packages(tmp_path_factory.mktemp(name)) / "projects" / name
    installed = mason(project, "deps")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return project


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_project(tmp_path_factory, "pkg_app")


def test_deps_installs_every_local_package(app: Path) -> None:
    for name in ("testkit", "sqlgen", "calendar", "relcompare", "matkit"):
        assert (app / "dbt_packages" / name / "dbt_project.yml").is_file()


def test_first_build_matches_dbt(app: Path) -> None:
    built = mason(app, "build", "--profiles-dir", ".")
    assert built.returncode == 0, built.stdout + built.stderr
    assert statuses(app) == expected("pkg_app", "run1.statuses.json")
    assert_same_tables(dump_tables(app / "warehouse.duckdb"), expected("pkg_app", "run1.tables.json"))

    # generic tests from the package: the warn-severity one warns, the rest pass
    by_name = {uid.split(".")[2]: status for uid, status in statuses(app).items() if uid.startswith("test.")}
    assert by_name.pop("big_orders_only") == "warn"
    assert set(by_name.values()) == {"pass"} and len(by_name) == 21
    # a dispatch search_order putting the project first overrides sqlgen; one naming only calendar does not
    assert rows(app, "select order_id, amount_per_item, order_day from order_ratios where order_id in (4, 5) "
                     "order by 1") == [(4, pytest.approx(100.4 / 6), "Monday"), (5, 0.0, "Tuesday")]
    # package models take the root project's package-scoped vars
    assert rows(app, "select min(date_day)::varchar, max(date_day)::varchar, count(*) "
                     "from main_calendar.dim_calendar") == [("2024-01-29", "2024-02-04", 7)]
    # graph and selected_resources as packages read them
    assert rows(app, "select * from graph_report order by 1") == [
        ("graph_report", "table", 24), ("log_model", "append_log", 24), ("swap_model", "swap_table", 24)]
    assert rows(app, "select kind, unique_id, detail, n from graph_resources order by 1 desc") == [
        ("source", "source.app.shop.raw_customers", "shop.raw_customers", 1),
        ("exposure", "exposure.app.revenue_dashboard", "dashboard:Finance", 2)]
    # the package materializations: hooks in and out of the transaction, docs persisted, no leftovers
    assert rows(app, "select phase, seq from hook_log order by seq, phase") == [
        ("pre", 0), ("after_commit", 2), ("post", 4)]
    assert rows(app, "select comment from duckdb_tables() where table_name = 'swap_model'") == [
        ("Orders per customer, built by matkit's swap_table",)]
    assert rows(app, "select table_name from information_schema.tables where table_name like '%__dbt_%'") == []
    assert rows(app, "select * from log_model order by 1") == [(1, "placed", "first"), (2, "shipped", "first")]
    result = json.loads((app / "target" / "run_results.json").read_text())["results"]
    log_model = next(r for r in result if r["unique_id"] == "model.app.log_model")
    assert log_model["adapter_response"]["rows_affected"] == 2  # from the materialization's 'main' statement
    assert (app / "target" / "run" / "app" / "models" / "reporting" / "swap_model.sql").read_text().count(
        "create") == 1


def test_compile_introspects_the_warehouse_like_dbt(app: Path) -> None:
    compiled = mason(app, "compile", "--profiles-dir", ".", "--select", "orders_by_status", "stg_orders")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    folder = app / "target" / "compiled" / "app" / "models"
    pivot = (folder / "marts" / "orders_by_status.sql").read_text()
    # the statuses were read from the warehouse, the columns of raw_orders too
    assert [s for s in ("placed", "returned", "shipped") if f'as "amt_{s}"' in pivot] == ["placed", "returned",
                                                                                         "shipped"]
    assert '"order_id",\n    "customer_id"' in (folder / "staging" / "stg_orders.sql").read_text()


def test_second_build_appends_and_swaps_like_dbt(app: Path) -> None:
    built = mason(app, "build", "--profiles-dir", ".", "--vars", "{run_label: second}")
    assert built.returncode == 0, built.stdout + built.stderr
    assert statuses(app) == expected("pkg_app", "run2.statuses.json")
    assert_same_tables(dump_tables(app / "warehouse.duckdb"), expected("pkg_app", "run2.tables.json"))
    # append_log appended this run's rows and added the new column (on_schema_change=append_new_columns)
    assert rows(app, "select * from log_model order by _matkit_run, order_id") == [
        (1, "placed", "first", None), (2, "shipped", "first", None),
        (1, "placed", "second", 12.5), (2, "shipped", "second", 30.0)]
    # the built-in incremental materialization with a package macro in the model
    assert rows(app, "select loaded_in, count(*) from orders_incremental group by 1 order by 1") == [
        ("first", 4), ("second", 2)]
    # swap_table renamed the old table away and dropped it after the commit
    assert rows(app, "select count(*) from swap_model") == [(4,)]
    assert rows(app, "select table_name from information_schema.tables where table_name like '%__dbt_%'") == []


def test_full_refresh_of_a_selection_like_dbt(app: Path) -> None:
    built = mason(app, "build", "--profiles-dir", ".", "--full-refresh", "--select", "log_model", "graph_report",
                  "--vars", "{run_label: third}")
    assert built.returncode == 0, built.stdout + built.stderr
    assert statuses(app) == expected("pkg_app", "run3.statuses.json")
    assert_same_tables(dump_tables(app / "warehouse.duckdb"), expected("pkg_app", "run3.tables.json"))
    # should_full_refresh() in the package materialization: the log starts over
    assert rows(app, "select _matkit_run, count(*) from log_model group by 1") == [("third", 2)]
    # selected_resources is the selection: two models
    assert rows(app, "select distinct selected_app_models from graph_report") == [(2,)]
