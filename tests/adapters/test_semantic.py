"""Scenario: metric queries on every warehouse. The SQL Mason writes for a query (`mason sl query --explain`,
transpiled to the warehouse's dialect) is run there and must give what SQL written by hand over the raw seeds
gives; `mason sl query` itself runs on the warehouse."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from ..semantic.test_query import PROJECT
from .conftest import Project, Warehouse

FILES = {k: v for k, v in PROJECT.items() if k not in ("dbt_project.yml", "profiles.yml")}


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def value(v: Any) -> Any:
        if isinstance(v, float | decimal.Decimal):
            return round(float(v), 6)
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()[:10]
        return v

    return sorted((tuple(value(v) for v in row) for row in rows), key=lambda r: tuple((v is not None, v) for v in r))


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("semantic"), warehouse, FILES,
                project_yml="models:\n  conformance:\n    +materialized: table\n")
    p.run("build")
    return p


def _engine(project: Project, *args: str) -> list[tuple[Any, ...]]:
    explained = project.run("sl", "query", *args, "--explain")
    return _norm(project.query(explained.stdout))


def test_joined_dimension_with_a_filter(project: Project) -> None:
    wh = project.warehouse
    orders, customers = wh.qualify(project.schema, "raw_orders"), wh.qualify(project.schema, "raw_customers")
    got = _engine(project, "--metrics", "revenue,orders", "--group-by", "customer__region",
                  "--where", "{{ Dimension('order__status') }} <> 'placed'")
    want = _norm(project.query(f"select c.region, sum(o.amount), count(o.order_id) from {orders} o left join "
                               f"{customers} c on o.customer_id = c.customer_id where o.status <> 'placed' "
                               "group by c.region"))
    assert got == want == [("EU", 77.0, 4), ("US", 5.5, 1)]


def test_ratio_and_derived_by_status(project: Project) -> None:
    orders = project.warehouse.qualify(project.schema, "raw_orders")
    got = _engine(project, "--metrics", "revenue_per_order,completed_share", "--group-by", "order__status")
    want = _norm(project.query(
        "select status, sum(amount) / count(*), "
        "sum(case when status = 'completed' then amount end) / sum(amount) "
        f"from {orders} group by status"))
    assert got == want and len(got) == 3


def test_metric_time_by_month(project: Project) -> None:
    orders = project.warehouse.qualify(project.schema, "raw_orders")
    got = _engine(project, "--metrics", "orders,buyers", "--group-by", "metric_time__month")
    want = _norm(project.query(f"select date_trunc('month', cast(ordered_at as date)), count(*), "
                               f"count(distinct customer_id) from {orders} group by 1"))
    assert got == want and [r[0] for r in got] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]


def test_sl_query_runs_on_the_warehouse(project: Project) -> None:
    out = project.run("sl", "query", "--metrics", "total_amount", "--group-by", "status", "--order-by", "status")
    assert "| status " in out.stdout and "completed" in out.stdout and "returned" not in out.stdout
