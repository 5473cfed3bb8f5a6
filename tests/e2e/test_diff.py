"""Scenario: `mason diff` on DuckDB, as CI runs it. A project is built into production (schema `analytics`;
and into a file of its own), production's manifest.json is copied to a state folder, the models are changed
and built into a pull request's schema (`pr_1`); `mason diff --state` must report what the two sides'
rows, computed here in Python from the tables themselves, say."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .conftest import Result, run_mason

PROFILES = """\
shop:
  target: prod
  outputs:
    prod: {type: duckdb, path: wh.duckdb, schema: analytics}
    dev: {type: duckdb, path: wh.duckdb, schema: pr_1}
    prodfile: {type: duckdb, path: prod.duckdb, schema: analytics}
"""
PROD_MODELS = {
    "orders.sql": "select order_id, customer_id, amount, status, qty, note from {{ ref('raw_orders') }}",
    "customers.sql": "{{ config(unique_key='customer_id') }}\n"
                     "select customer_id, count(*) as orders from {{ ref('raw_orders') }} group by customer_id",
    "events.sql": "select customer_id, status from {{ ref('raw_orders') }}",
}
DEV_MODELS = {
    # amounts of every 7th order changed, every 11th status nulled, every 13th order gone, three new orders,
    # `note` dropped, `channel` added, `qty` widened to bigint (same values)
    "orders.sql": """
        select order_id, customer_id, case when order_id % 7 = 0 then amount + 1 else amount end as amount,
          case when order_id % 11 = 0 then null else status end as status, cast(qty as bigint) as qty,
          'web' as channel
        from {{ ref('raw_orders') }} where order_id % 13 <> 0
        union all
        select order_id + 1000, customer_id, amount, status, cast(qty as bigint), 'web'
        from {{ ref('raw_orders') }} where order_id <= 3
        """,
    "customers.sql": PROD_MODELS["customers.sql"],
    # no key: one row lost, one row duplicated
    "events.sql": "select customer_id, status from {{ ref('raw_orders') }} where order_id <> 2\n"
                  "union all select customer_id, status from {{ ref('raw_orders') }} where order_id = 1",
    "brand_new.sql": "select 1 as id",
}
SCHEMA_YML = """\
models:
  - name: orders
    columns:
      - name: order_id
        data_tests: [unique, not_null]
"""


def _seed() -> str:
    statuses = ["placed", "shipped", "completed", "returned"]
    lines = ["order_id,customer_id,amount,status,qty,note"]
    for i in range(1, 201):
        status = "" if i % 5 == 0 else statuses[i % 4]
        lines.append(f"{i},{i % 17},{i * 1.5},{status},{i % 4 + 1},n{i}")
    return "\n".join(lines) + "\n"


def _write_models(root: Path, models: dict[str, str]) -> None:
    folder = root / "models"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name, sql in models.items():
        (folder / name).write_text(sql)
    (folder / "schema.yml").write_text(SCHEMA_YML)


def _ok(result: Result) -> Result:
    assert result.code == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diff") / "shop"
    (root / "seeds").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: shop\nversion: '1'\nconfig-version: 2\nprofile: shop\n"
                                          "models:\n  shop:\n    +materialized: table\n")
    (root / "profiles.yml").write_text(PROFILES)
    (root / "seeds" / "raw_orders.csv").write_text(_seed())
    _write_models(root, PROD_MODELS)
    for target, state in (("prodfile", "state_file"), ("prod", "state")):
        _ok(run_mason(root, "build", "--target", target, "-q"))
        (root / state).mkdir()
        shutil.copy(root / "target" / "manifest.json", root / state / "manifest.json")
    _write_models(root, DEV_MODELS)
    _ok(run_mason(root, "build", "--target", "dev", "-q"))
    return root


def _table(root: Path, schema: str, name: str, db: str = "wh.duckdb") -> tuple[list[str], list[tuple[Any, ...]]]:
    con = duckdb.connect(str(root / db), read_only=True)
    try:
        cur = con.execute(f'select * from "{schema}"."{name}"')
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def _diff(root: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    result = run_mason(root, "diff", "--target", "dev", "--state", "state", "--output", "json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    return result, data


def _model(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in data["models"] if m["name"] == name)


def _expected_by_key(prod: tuple[list[str], list[tuple[Any, ...]]], dev: tuple[list[str], list[tuple[Any, ...]]],
                     key: str) -> dict[str, Any]:
    """What a diff by `key` must find, computed from both tables' rows."""
    p_cols, p_rows = prod
    d_cols, d_rows = dev
    p = {r[p_cols.index(key)]: dict(zip(p_cols, r)) for r in p_rows}
    d = {r[d_cols.index(key)]: dict(zip(d_cols, r)) for r in d_rows}
    common = [c for c in d_cols if c in p_cols and c != key]
    matched = sorted(set(p) & set(d))
    changed = {c: [k for k in matched if p[k][c] != d[k][c]] for c in common}
    return {
        "only_in_prod": sorted(set(p) - set(d)), "only_in_dev": sorted(set(d) - set(p)), "matched": len(matched),
        "changed_rows": sum(1 for k in matched if any(p[k][c] != d[k][c] for c in common)),
        "columns": {c: (len(ks), [(k, p[k][c], d[k][c]) for k in ks[:5]]) for c, ks in changed.items()},
    }


def test_rows_compared_by_key_match_the_tables(project: Path) -> None:
    result, data = _diff(project, "-s", "orders")
    assert result.code == 1
    got = _model(data, "orders")
    want = _expected_by_key(_table(project, "analytics", "orders"), _table(project, "pr_1", "orders"), "order_id")
    assert got["status"] == "different" and got["compared_by"] == "primary_key"
    assert got["primary_key"] == ["order_id"] and got["primary_key_source"] == "unique and not_null tests"
    rows = got["rows"]
    assert (rows["prod"], rows["dev"]) == (200, 200 - 15 + 3)
    assert rows["only_in_prod"] == len(want["only_in_prod"]) == 15
    assert rows["only_in_dev"] == len(want["only_in_dev"]) == 3
    assert [r["order_id"] for r in rows["sample_only_in_prod"]] == want["only_in_prod"][:5]
    assert [r["order_id"] for r in rows["sample_only_in_dev"]] == want["only_in_dev"] == [1001, 1002, 1003]
    assert rows["matched"] == want["matched"] and rows["changed"] == want["changed_rows"]
    assert rows["identical"] == rows["matched"] - rows["changed"]
    columns = {c["name"]: c for c in got["columns"]}
    assert set(columns) == {"customer_id", "amount", "status", "qty"}
    for name, (count, sample) in want["columns"].items():
        assert columns[name]["changed"] == count, name
        assert [(s["key"]["order_id"], s["prod"], s["dev"]) for s in columns[name]["sample"]] == sample, name
    # the changes made: every 7th amount (not the dropped 13th), every 11th status unless already null
    assert columns["amount"]["changed"] == len([i for i in range(1, 201) if i % 7 == 0 and i % 13])
    assert columns["status"]["changed"] == len([i for i in range(1, 201) if i % 11 == 0 and i % 13 and i % 5])
    assert columns["qty"]["changed"] == columns["customer_id"]["changed"] == 0  # bigint now, same values
    assert got["schema"] == {
        "columns_only_in_prod": [{"name": "note", "type": "VARCHAR"}],
        "columns_only_in_dev": [{"name": "channel", "type": "VARCHAR"}],
        "type_changes": [{"name": "qty", "prod_type": "INTEGER", "dev_type": "BIGINT"}],
    }


def test_without_a_key_whole_rows_are_compared_as_multisets(project: Path) -> None:
    result, data = _diff(project, "-s", "events")
    got = _model(data, "events")
    p_cols, p_rows = _table(project, "analytics", "events")
    _, d_rows = _table(project, "pr_1", "events")
    only_prod, only_dev = Counter(p_rows) - Counter(d_rows), Counter(d_rows) - Counter(p_rows)
    assert result.code == 1 and got["compared_by"] == "row_hash" and got["primary_key"] == []
    assert got["rows"]["only_in_prod"] == sum(only_prod.values()) == 1
    assert got["rows"]["only_in_dev"] == sum(only_dev.values()) == 1
    assert (got["rows"]["prod"], got["rows"]["dev"]) == (len(p_rows), len(d_rows)) == (200, 200)
    assert [(tuple(s["row"][c] for c in p_cols), s["copies"]) for s in got["rows"]["sample_only_in_prod"]] == \
        list(only_prod.items())
    assert [(tuple(s["row"][c] for c in p_cols), s["copies"]) for s in got["rows"]["sample_only_in_dev"]] == \
        list(only_dev.items())
    assert any("whole rows compared" in n for n in got["notes"])


def test_identical_model_exits_0_and_unique_key_is_the_key(project: Path) -> None:
    result, data = _diff(project, "-s", "customers")
    got = _model(data, "customers")
    assert result.code == 0 and data["exit_code"] == 0
    assert got["status"] == "identical" and got["primary_key"] == ["customer_id"]
    assert got["primary_key_source"] == "unique_key"
    assert got["rows"]["changed"] == 0 and got["rows"]["prod"] == got["rows"]["dev"] == 17
    assert data["summary"]["identical"] == 1


def test_a_new_model_is_reported_missing_in_prod(project: Path) -> None:
    result, data = _diff(project, "-s", "brand_new")
    got = _model(data, "brand_new")
    assert result.code == 1 and got["status"] == "missing_in_prod" and got["rows"] is None
    assert run_mason(project, "diff", "--target", "dev", "--state", "state", "-s", "brand_new",
                     "--fail-on", "rows").code == 0


def test_fail_on_picks_which_differences_fail(project: Path) -> None:
    base = ("diff", "--target", "dev", "--state", "state", "-s")
    assert run_mason(project, *base, "events", "--fail-on", "schema").code == 0  # rows only
    assert run_mason(project, *base, "events", "--fail-on", "rows").code == 1
    assert run_mason(project, *base, "orders", "--fail-on", "none").code == 0
    _, data = _diff(project, "-s", "orders", "events", "customers", "brand_new", "--fail-on", "schema")
    assert data["exit_code"] == 1 and data["fail_on"] == "schema"
    assert data["summary"] == {"models": 4, "identical": 1, "different": 2, "missing_in_prod": 1,
                               "missing_in_dev": 0, "skipped": 0, "error": 0}


def test_primary_key_option_and_ignored_columns(project: Path) -> None:
    _, data = _diff(project, "-s", "orders", "events", "--primary-key", "orders=order_id,customer_id",
                    "--ignore-columns", "amount,status", "--sample", "2")
    orders = _model(data, "orders")
    assert orders["primary_key"] == ["order_id", "customer_id"] and orders["primary_key_source"] == "--primary-key"
    assert {c["name"] for c in orders["columns"]} == {"qty"}  # key columns and ignored ones not compared
    assert orders["rows"]["changed"] == 0 and len(orders["rows"]["sample_only_in_prod"]) == 2
    assert _model(data, "events")["compared_by"] == "row_hash"
    # a key that is not unique on a side: said so, and whole rows compared instead
    _, data = _diff(project, "-s", "orders", "--primary-key", "customer_id")
    orders = _model(data, "orders")
    assert orders["compared_by"] == "row_hash" and any("is not a key" in n for n in orders["notes"])
    result, data = _diff(project, "-s", "orders", "--primary-key", "no_such_column")
    assert result.code == 2 and _model(data, "orders")["status"] == "error"


def test_text_output(project: Path) -> None:
    result = run_mason(project, "diff", "--target", "dev", "--state", "state", "-s", "orders", "customers")
    out = result.stdout
    assert result.code == 1, out + result.stderr
    assert "model.shop.orders  DIFFERENT  by primary key order_id (unique and not_null tests)" in out
    assert "model.shop.customers  IDENTICAL" in out
    assert "+ channel VARCHAR (only in dev)" in out and "- note VARCHAR (only in prod)" in out
    assert "~ qty INTEGER -> BIGINT" in out
    assert "rows: prod 200, dev 188 (-12)" in out and "only in dev: 3 keys  e.g. 1001; 1002; 1003" in out
    assert "| amount " in out and "| status " in out
    assert "Compared 2 models with the state in state: 1 identical, 1 different" in out


def test_prod_in_another_duckdb_file(project: Path) -> None:
    base = ("diff", "--target", "dev", "--state", "state_file", "-s", "customers", "--output", "json")
    unreachable = json.loads(run_mason(project, *base).stdout)
    got = _model(unreachable, "customers")
    assert got["status"] == "missing_in_prod" and "--state-target" in got["notes"][0]
    result = run_mason(project, *base, "--state-target", "prodfile")
    got = _model(json.loads(result.stdout), "customers")
    assert result.code == 0 and got["status"] == "identical"
    assert got["prod_relation"] == '"prod"."analytics"."customers"'
    assert got["dev_relation"] == '"wh"."pr_1"."customers"'


@pytest.mark.parametrize("args, message", [
    ((), "mason diff needs --state"),
    (("--state", "no_such_folder"), "--state folder 'no_such_folder' does not exist"),
    (("--state", "models"), "no manifest.json in --state folder 'models'"),
    (("--state", "state", "-s", "ordrs"), "-s ordrs selects no model, seed or snapshot"),
    (("--state", "state", "--primary-key", "x=id"), "'x' is not a selected model"),
])
def test_errors_exit_2_without_a_traceback(project: Path, args: tuple[str, ...], message: str) -> None:
    result = run_mason(project, "diff", "--target", "dev", *args)
    assert result.code == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
