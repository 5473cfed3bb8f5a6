"""Scenario: `mason diff` on every warehouse. Production is built into the profile's schema, its manifest.json
copied to a state folder, the models changed and built into a pull request's schema of the same warehouse;
the diff (computed in the warehouse) must find what the two tables' rows, read back here, say."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import shutil
from collections import Counter
from typing import Any

import pytest

from .conftest import Project, Warehouse

SEED = "order_id,customer_id,amount,status,ordered_at\n" + "".join(
    f"{i},{i % 7},{i * 1.5},{'' if i % 6 == 0 else ['placed', 'shipped', 'returned'][i % 3]},2024-01-{i % 28 + 1:02d}\n"
    for i in range(1, 61))
PROD = {
    "seeds/raw_orders.csv": SEED,
    "models/orders.sql": "select order_id, customer_id, amount, status, ordered_at from {{ ref('raw_orders') }}",
    "models/events.sql": "select customer_id, status from {{ ref('raw_orders') }}",
    "models/schema.yml": """
        models:
          - name: orders
            config: {unique_key: order_id}
          - name: payloads
            config: {unique_key: order_id}
        """,
}
# a column of a type without `=` where the warehouse has one (json, map), a list on DuckDB
PAYLOAD = {"postgres": "cast('{{\"n\": ' || {} || '}}' as json)", "spark": "map('n', {})", "duckdb": "[{}]"}
DEV = {
    "models/orders.sql": """
        select order_id, customer_id, case when order_id % 3 = 0 then amount + 1 else amount end as amount,
          case when order_id % 4 = 0 then null else status end as status, ordered_at, 'web' as channel
        from {{ ref('raw_orders') }} where order_id % 5 <> 0
        union all
        select order_id + 100, customer_id, amount, status, ordered_at, 'web' from {{ ref('raw_orders') }}
        where order_id <= 2
        """,
    "models/events.sql": "select customer_id, status from {{ ref('raw_orders') }} where order_id <> 2 "
                         "union all select customer_id, status from {{ ref('raw_orders') }} where order_id = 7",
}


def _plain(v: Any) -> Any:
    if isinstance(v, decimal.Decimal | float):
        return round(float(v), 6)
    if isinstance(v, dt.date):
        return v.isoformat()[:10]
    return v


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    payload = PAYLOAD[warehouse.name]
    models = {**PROD, "models/payloads.sql": f"select order_id, customer_id, {payload.format('order_id')} as payload "
                                             "from {{ ref('raw_orders') }}"}
    p = Project(tmp_path_factory.mktemp("diff"), warehouse, models,
                project_yml="models:\n  conformance:\n    +materialized: table\n")
    p.run("build")
    (p.root / "state").mkdir()
    shutil.copy(p.root / "target" / "manifest.json", p.root / "state" / "manifest.json")
    profile = p.root / "profiles.yml"
    profile.write_text(profile.read_text().replace(f"schema: {warehouse.schema}", "schema: pr_1"))
    changed = payload.format("case when order_id = 3 then 0 else order_id end")
    p.write({**DEV, "models/payloads.sql": f"select order_id, customer_id, {changed} as payload from {{{{ ref('raw_orders') }}}}"})
    p.run("build")
    return p


def _table(project: Project, schema: str, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    names = list(project.columns(name, schema))
    return names, [tuple(_plain(v) for v in r) for r in project.rows(name, schema, ", ".join(names))]


def _diff(project: Project, *args: str, code: int = 1) -> dict[str, Any]:
    run = project.run("diff", "--state", "state", "--output", "json", *args, expect=code)
    return json.loads(run.stdout)


def test_by_key(project: Project) -> None:
    got = _diff(project, "-s", "orders")["models"][0]
    p_cols, p_rows = _table(project, project.schema, "orders")
    d_cols, d_rows = _table(project, "pr_1", "orders")
    p = {r[0]: dict(zip(p_cols, r)) for r in p_rows}
    d = {r[0]: dict(zip(d_cols, r)) for r in d_rows}
    matched = sorted(set(p) & set(d))
    assert got["status"] == "different" and got["primary_key"] == ["order_id"]
    assert got["primary_key_source"] == "unique_key"
    rows = got["rows"]
    assert (rows["prod"], rows["dev"]) == (len(p), len(d)) == (60, 50)
    assert [r["order_id"] for r in rows["sample_only_in_prod"]] == sorted(set(p) - set(d))[:5]
    assert rows["only_in_prod"] == 12 and rows["only_in_dev"] == 2
    assert [r["order_id"] for r in rows["sample_only_in_dev"]] == [101, 102]
    assert rows["matched"] == len(matched) == 48
    for col in got["columns"]:
        name = col["name"]
        changed = [k for k in matched if p[k][name] != d[k][name]]
        assert col["changed"] == len(changed), name
        assert [(s["key"]["order_id"], _plain(s["prod"]), _plain(s["dev"])) for s in col["sample"]] == \
            [(k, p[k][name], d[k][name]) for k in changed[:5]], name
    counts = {c["name"]: c["changed"] for c in got["columns"]}
    assert counts == {"customer_id": 0, "amount": 16, "status": 8, "ordered_at": 0}
    assert [c["name"] for c in got["schema"]["columns_only_in_dev"]] == ["channel"]
    assert got["schema"]["columns_only_in_prod"] == got["schema"]["type_changes"] == []


def test_by_whole_rows(project: Project) -> None:
    got = _diff(project, "-s", "events")["models"][0]
    _, p_rows = _table(project, project.schema, "events")
    _, d_rows = _table(project, "pr_1", "events")
    only_prod, only_dev = Counter(p_rows) - Counter(d_rows), Counter(d_rows) - Counter(p_rows)
    assert got["compared_by"] == "row_hash"
    assert (got["rows"]["only_in_prod"], got["rows"]["only_in_dev"]) == (1, 1)
    assert [(tuple(_plain(v) for v in s["row"].values()), s["copies"]) for s in got["rows"]["sample_only_in_prod"]] \
        == list(only_prod.items())
    assert [(tuple(_plain(v) for v in s["row"].values()), s["copies"]) for s in got["rows"]["sample_only_in_dev"]] \
        == list(only_dev.items())


def test_identical_seed_exits_0(project: Project) -> None:
    data = _diff(project, "-s", "raw_orders", code=0)
    assert data["models"][0]["status"] == "identical" and data["models"][0]["rows"]["prod"] == 60


def test_types_without_equality(project: Project) -> None:
    got = _diff(project, "-s", "payloads")["models"][0]
    assert [(c["name"], c["changed"]) for c in got["columns"]] == [("customer_id", 0), ("payload", 1)]
    assert [s["key"]["order_id"] for s in got["columns"][1]["sample"]] == [3]
    whole = _diff(project, "-s", "payloads", "--primary-key", "customer_id")["models"][0]  # not a key
    assert whole["compared_by"] == "row_hash"
    assert (whole["rows"]["only_in_prod"], whole["rows"]["only_in_dev"]) == (1, 1)
