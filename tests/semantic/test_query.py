"""Metric queries on DuckDB, each answer checked against SQL written by hand over the raw seeds (never by
the engine itself): simple, ratio, derived and filtered metrics, metric_time at each grain, a dimension of
the model itself and one joined through an entity, `where` templates, order and limit, and the older
`calculation_method` spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from mason.errors import UsageError
from mason.semantic.sql import Query

PROJECT = {
    "dbt_project.yml": "name: sl\nversion: '1.0'\nconfig-version: 2\nprofile: sl\n"
                       "models:\n  sl:\n    +materialized: table\n",
    "profiles.yml": "sl:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: sl.duckdb\n"
                    "      schema: main\n",
    "seeds/raw_orders.csv": "order_id,customer_id,ordered_at,amount,status,is_gift\n"
                            "1,1,2024-01-03,10.0,completed,true\n2,1,2024-01-20,20.0,returned,false\n"
                            "3,2,2024-02-02,5.5,completed,false\n4,3,2024-02-15,40.0,completed,true\n"
                            "5,2,2024-03-30,12.5,placed,false\n6,3,2024-04-01,7.0,completed,false\n",
    "seeds/raw_customers.csv": "customer_id,name,region\n1,ann,EU\n2,bob,US\n3,cid,EU\n",
    "models/fct_orders.sql": "select order_id, customer_id, cast(ordered_at as date) as ordered_at, amount, status,"
                             " is_gift from {{ ref('raw_orders') }}",
    "models/dim_customers.sql": "select customer_id, name, region from {{ ref('raw_customers') }}",
    "models/semantic.yml": """
semantic_models:
  - name: orders
    model: ref('fct_orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: order_id}
      - {name: buyers, agg: count_distinct, expr: customer_id}
      - {name: gifts, agg: sum_boolean, expr: is_gift}
      - {name: avg_amount, agg: average, expr: amount}
  - name: customers
    model: ref('dim_customers')
    entities:
      - {name: customer, type: primary, expr: customer_id}
    dimensions:
      - {name: region, type: categorical}
metrics:
  - {name: revenue, label: Revenue, type: simple, type_params: {measure: revenue}}
  - {name: orders, label: Orders, type: simple, type_params: {measure: order_count}}
  - {name: buyers, label: Buyers, type: simple, type_params: {measure: buyers}}
  - {name: gifts, label: Gifts, type: simple, type_params: {measure: gifts}}
  - {name: avg_amount, label: Average, type: simple, type_params: {measure: avg_amount}}
  - name: completed_revenue
    label: Completed revenue
    type: simple
    type_params: {measure: revenue}
    filter: "{{ Dimension('order__status') }} = 'completed'"
  - name: revenue_per_order
    label: Revenue per order
    type: ratio
    type_params: {numerator: revenue, denominator: orders}
  - name: completed_share
    label: Completed share
    type: derived
    type_params:
      expr: done / total
      metrics:
        - {name: completed_revenue, alias: done}
        - {name: revenue, alias: total}
saved_queries:
  - name: completed_by_region
    query_params:
      metrics: [revenue]
      group_by: ["TimeDimension('metric_time', 'month')", "Dimension('customer__region')"]
      where: ["{{ Dimension('order__status') }} = 'completed'"]
""",
    "models/legacy.yml": """
metrics:
  - name: total_amount
    label: Total amount
    model: ref('fct_orders')
    calculation_method: sum
    expression: amount
    timestamp: ordered_at
    time_grains: [day, month]
    dimensions: [status]
    filters:
      - {field: status, operator: '!=', value: "'returned'"}
""",
}


def _mason(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    return subprocess.run([sys.executable, "-m", "mason", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sl")
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    built = _mason(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    return root


def _engine(project: Path, query: Query) -> list[tuple[object, ...]]:
    from mason.api import parse
    from mason.api.semantic import graph
    from mason.semantic.sql import compile_query
    from mason.session import Session

    session = Session(project_dir=project, profiles_dir=project)
    sql = compile_query(graph(parse(session)), query)
    with duckdb.connect(str(project / "sl.duckdb"), read_only=True) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


def _by_hand(project: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(project / "sl.duckdb"), read_only=True) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


RAW = "(select *, cast(ordered_at as date) as day from main.raw_orders)"


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
def test_simple_metrics_by_metric_time(project: Path, grain: str) -> None:
    got = _engine(project, Query(("revenue", "orders", "buyers", "gifts"), (f"metric_time__{grain}",),
                                 order_by=(f"metric_time__{grain}",)))
    want = _by_hand(project, f"select date_trunc('{grain}', day), sum(amount), count(order_id), "
                             f"count(distinct customer_id), sum(case when is_gift then 1 else 0 end) "
                             f"from {RAW} group by 1 order by 1")
    assert got == want and len(got) >= 1


def test_dimension_joined_through_an_entity_and_a_where_template(project: Path) -> None:
    got = _engine(project, Query(("revenue", "avg_amount"), ("customer__region",),
                                 ("{{ Dimension('order__status') }} <> 'placed'",), ("-revenue",)))
    want = _by_hand(project, "select c.region, sum(o.amount), avg(o.amount) from main.raw_orders o "
                             "left join main.raw_customers c using (customer_id) where o.status <> 'placed' "
                             "group by 1 order by 2 desc")
    assert got == want == [("EU", 77.0, 77.0 / 4), ("US", 5.5, 5.5)]


def test_ratio_derived_and_filtered_metrics_by_status(project: Path) -> None:
    got = _engine(project, Query(("revenue_per_order", "completed_revenue", "completed_share"), ("order__status",),
                                 order_by=("order__status",)))
    want = _by_hand(project, "select status, sum(amount) / count(*), "
                             "sum(amount) filter (where status = 'completed'), "
                             "sum(amount) filter (where status = 'completed') / sum(amount) "
                             f"from {RAW} group by 1 order by 1")
    assert got == want


def test_time_dimension_grain_limit_and_metric_filter_template(project: Path) -> None:
    got = _engine(project, Query(("orders",), ("order__ordered_at__month",),
                                 ("{{ TimeDimension('metric_time', 'day') }} >= '2024-02-01'",),
                                 ("-order__ordered_at__month",), limit=2))
    want = _by_hand(project, f"select date_trunc('month', day), count(*) from {RAW} where day >= '2024-02-01' "
                             "group by 1 order by 1 desc limit 2")
    assert got == want and len(got) == 2


def test_the_older_calculation_method_spec(project: Path) -> None:
    got = _engine(project, Query(("total_amount",), ("status", "metric_time__month"), order_by=("status",
                                                                                               "metric_time__month")))
    want = _by_hand(project, f"select status, date_trunc('month', day), sum(amount) from {RAW} "
                             "where status != 'returned' group by 1, 2 order by 1, 2")
    assert got == want and ("returned",) not in [r[:1] for r in got]
    with pytest.raises(UsageError, match="may be asked by day, month .its time_grains., not by year"):
        _engine(project, Query(("total_amount",), ("metric_time__year",)))


def test_cli_query_explain_list_and_errors(project: Path) -> None:
    out = _mason(project, "sl", "query", "--metrics", "revenue,orders", "--group-by", "customer__region",
                 "--order-by", "customer__region")
    assert out.returncode == 0, out.stderr
    assert "| customer__region | revenue | orders |" in out.stdout and "| EU " in out.stdout
    explain = _mason(project, "sl", "query", "--metrics", "revenue", "--group-by", "metric_time__year", "--explain")
    assert explain.returncode == 0 and "date_trunc('year'" in explain.stdout and "sum(src.amount)" in explain.stdout
    listed = _mason(project, "sl", "list", "metrics")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(
        ["revenue", "orders", "buyers", "gifts", "avg_amount", "completed_revenue", "revenue_per_order",
         "completed_share", "total_amount"])
    saved = _mason(project, "sl", "list", "saved-queries")
    assert saved.stdout.split() == ["completed_by_region", "revenue", "metric_time__month,customer__region"]
    bad = _mason(project, "sl", "query", "--metrics", "revenu")
    assert bad.returncode == 2 and "metric 'revenu' is not defined" in bad.stderr and "revenue" in bad.stderr
    fan = _mason(project, "sl", "query", "--metrics", "revenue", "--group-by", "customer__nosuch")
    assert fan.returncode == 2 and "no semantic model has 'customer' as its primary entity" in fan.stderr


def test_saved_query_and_time_bounds(project: Path) -> None:
    out = _mason(project, "sl", "query", "--saved-query", "completed_by_region", "--order-by",
                 "metric_time__month,customer__region", "--explain")
    assert out.returncode == 0, out.stderr
    with duckdb.connect(str(project / "sl.duckdb"), read_only=True) as con:
        got = [tuple(r) for r in con.execute(out.stdout).fetchall()]
    want = _by_hand(project, "select date_trunc('month', cast(o.ordered_at as date)), c.region, sum(o.amount) "
                             "from main.raw_orders o left join main.raw_customers c using (customer_id) "
                             "where o.status = 'completed' group by 1, 2 order by 1, 2")
    assert got == want and len(got) == 4
    bounded = _engine(project, Query(("orders",), ("metric_time__month",), order_by=("metric_time__month",),
                                     start_time="2024-01-15", end_time="2024-03-30"))
    want = _by_hand(project, f"select date_trunc('month', day), count(*) from {RAW} "
                             "where day between '2024-01-15' and '2024-03-30' group by 1 order by 1")
    assert bounded == want and [r[1] for r in bounded] == [1, 2, 1]
    bad = _mason(project, "sl", "query", "--metrics", "orders", "--start-time", "2024-01-01'; drop table x")
    assert bad.returncode == 2 and "is not a date or timestamp" in bad.stderr


def test_validate(project: Path, tmp_path: Path) -> None:
    ok = _mason(project, "sl", "validate")
    assert ok.returncode == 0 and "every metric and saved query compiles" in ok.stdout
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("target", "*.duckdb*"))
    (broken / "models" / "more.yml").write_text(
        "metrics:\n  - {name: lost, label: Lost, type: simple, type_params: {measure: no_such_measure}}\n")
    out = _mason(broken, "sl", "validate")
    assert out.returncode == 1
    assert "models/more.yml:2: metric lost: measure 'no_such_measure' is not defined" in out.stderr


def test_validate_reports_every_problem_at_once(project: Path, tmp_path: Path) -> None:
    """A broken metric does not hide the problems of what uses it, nor those of saved queries."""
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("target", "*.duckdb*"))
    (broken / "models" / "more.yml").write_text("""metrics:
  - {name: lost, label: Lost, type: simple, type_params: {measure: no_such_measure}}
  - name: lost_share
    label: Lost share
    type: derived
    type_params: {expr: lost / total, metrics: [lost, {name: revenue, alias: total}]}
saved_queries:
  - name: fans_out
    query_params:
      metrics: [revenue]
      group_by: ["Dimension('customer__status')"]
""")
    out = _mason(broken, "sl", "validate")
    assert out.returncode == 1
    assert "models/more.yml:2: metric lost: measure 'no_such_measure' is not defined" in out.stderr
    assert "models/more.yml:3: metric lost_share: uses metric 'lost', which has a problem" in out.stderr
    assert "models/more.yml:8: saved query fans_out: 'customer__status'" in out.stderr
    assert "3 problems found" in out.stdout
