"""Every metric type on DuckDB, each answer checked against SQL written by hand over the raw seeds (correlated
subqueries and plain joins, never the engine's shape): cumulative metrics over all time, a 7-day window and
month to date (first/last per period), offsets by a month, a week and to the start of the month, conversions
within a window, non-additive balances, a two-hop join and a Metric() filter; and the errors a user gets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mason.errors import UsageError
from mason.semantic.sql import Query

from .test_query import _by_hand, _mason
from .types_project import FILES

CONFIG = {
    "dbt_project.yml": "name: types\nversion: '1.0'\nconfig-version: 2\nprofile: types\n"
                       "models:\n  types:\n    +materialized: table\n",
    "profiles.yml": "types:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: sl.duckdb\n"
                    "      schema: main\n",
    # the older spec's rolling window (dbt_metrics' `window: {count, period}`): here, not in FILES, since
    # dbt 1.11 (which bench/metricflow.py runs on FILES) no longer reads calculation_method metrics
    "models/legacy.yml": """
metrics:
  - name: legacy_revenue_14d
    label: Revenue over 14 days
    model: ref('fct_orders')
    calculation_method: sum
    expression: amount
    timestamp: ordered_at
    time_grains: [day, month]
    dimensions: [status]
    window: {count: 14, period: day}
""",
}
ORDERS = "(select order_id, customer_id, cast(ordered_at as date) as day, amount, status from main.raw_orders)"
DAYS = "(select cast(date_day as date) as d from main.raw_days)"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("types")
    for rel, text in {**FILES, **CONFIG}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    built = _mason(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    return root


def _engine(project: Path, *metrics: str, group_by: tuple[str, ...] = (), where: tuple[str, ...] = (),
            **kw: object) -> list[tuple[object, ...]]:
    from mason.api import parse
    from mason.api.semantic import graph
    from mason.semantic.sql import compile_query
    from mason.session import Session

    session = Session(project_dir=project, profiles_dir=project)
    sql = compile_query(graph(parse(session)), Query(metrics, group_by, where, **kw))  # type: ignore[arg-type]
    return _sorted(_by_hand(project, sql))


def _sorted(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    def key(row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple((v is None, str(v)) for v in row)

    return sorted((tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows), key=key)


def _hand(project: Path, sql: str) -> list[tuple[object, ...]]:
    return _sorted(_by_hand(project, sql))


def _days(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Dates and timestamps compared as ISO dates (the spine is a date, a truncated timestamp a timestamp)."""
    return [tuple(str(v)[:10] if hasattr(v, "isoformat") else v for v in r) for r in rows]


def test_cumulative_over_all_time_by_day(project: Path) -> None:
    got = _engine(project, "revenue_all_time", group_by=("metric_time__day",))
    want = _hand(project, f"select x.d, (select sum(amount) from {ORDERS} o where o.day <= x.d) as v from {DAYS} x "
                          f"where exists (select 1 from {ORDERS} o where o.day <= x.d)")
    assert _days(got) == _days(want) and len(got) == 119 and got[-1][1] == 106.0


def test_cumulative_window_by_month_takes_the_first_day(project: Path) -> None:
    got = _engine(project, "revenue_7d", group_by=("metric_time__month",))
    want = _hand(project, f"""
        with daily as (select x.d, (select sum(amount) from {ORDERS} o where o.day <= x.d and o.day > x.d - 7) as v
                       from {DAYS} x)
        select date_trunc('month', d), v from daily a where v is not null and d = (
            select min(b.d) from daily b where b.v is not null and date_trunc('month', b.d) = date_trunc('month', a.d))""")
    assert _days(got) == _days(want) == [("2024-01-01", 10.0), ("2024-02-01", 3.0), ("2024-03-01", 8.0),
                                         ("2024-04-01", 19.5)]


def test_month_to_date_last_value_is_the_month_and_daily_values(project: Path) -> None:
    by_month = _engine(project, "revenue_mtd", group_by=("metric_time__month",))
    months = _hand(project, f"select date_trunc('month', day), sum(amount) from {ORDERS} group by 1")
    assert _days(by_month) == _days(months) and len(months) == 4
    by_day = _engine(project, "revenue_mtd", group_by=("metric_time__day",))
    days = _hand(project, f"select x.d, (select sum(amount) from {ORDERS} o where o.day <= x.d and "
                          f"date_trunc('month', o.day) = date_trunc('month', x.d)) as v from {DAYS} x "
                          f"where exists (select 1 from {ORDERS} o where o.day <= x.d and "
                          f"date_trunc('month', o.day) = date_trunc('month', x.d))")
    assert _days(by_day) == _days(days) and len(days) > 100


def test_cumulative_with_a_dimension_a_where_and_time_bounds(project: Path) -> None:
    got = _engine(project, "revenue_7d", group_by=("metric_time__day", "customer__region"),
                  where=("{{ TimeDimension('metric_time', 'day') }} >= '2024-02-10'",), end_time="2024-02-20")
    want = _hand(project, f"""
        select x.d, c.region, sum(o.amount) from {DAYS} x join {ORDERS} o on o.day <= x.d and o.day > x.d - 7
        join main.raw_customers c on c.customer_id = o.customer_id
        where x.d between date '2024-02-10' and date '2024-02-20' group by 1, 2""")
    assert _days(got) == _days(want) and {r[1] for r in want} == {"EU"} and len(want) == 6


def test_cumulative_without_metric_time_is_all_time_and_a_window_needs_it(project: Path) -> None:
    got = _engine(project, "revenue_all_time", group_by=("customer__region",))
    assert got == _hand(project, f"select c.region, sum(o.amount) from {ORDERS} o join main.raw_customers c "
                                 "using (customer_id) group by 1")
    with pytest.raises(UsageError, match="accumulates over a window: group by metric_time"):
        _engine(project, "revenue_7d")


def test_offset_by_a_month(project: Path) -> None:
    got = _engine(project, "revenue", "revenue_prev_month", group_by=("metric_time__month",))
    want = _hand(project, f"""
        with m as (select date_trunc('month', day) as m, sum(amount) as v from {ORDERS} group by 1),
             earlier as (select m + interval 1 month as m, v from m
                         where m + interval 1 month in (select date_trunc('month', d) from {DAYS}))
        select coalesce(m.m, earlier.m), m.v, earlier.v from m full join earlier on m.m = earlier.m""")
    assert _days(got) == _days(want) and ("2024-01-01", 33.0, None) in _days(got)


def test_offset_by_days_at_a_coarser_grain_and_at_day(project: Path) -> None:
    got = _engine(project, "revenue_wow", group_by=("metric_time__day",))
    want = _hand(project, f"""
        with r as (select day as d, sum(amount) as v from {ORDERS} group by 1),
             w as (select d + 7 as d, v from r where d + 7 in (select d from {DAYS}))
        select coalesce(r.d, w.d), r.v - w.v from r full join w on r.d = w.d""")
    assert _days(got) == _days(want) and len(got) == 16
    by_month = _engine(project, "revenue_wow", group_by=("metric_time__month",))
    want_month = _hand(project, f"""
        with r as (select date_trunc('month', day) as m, sum(amount) as v from {ORDERS} group by 1),
             w as (select date_trunc('month', day + 7) as m, sum(amount) as v from {ORDERS}
                   where day + 7 in (select d from {DAYS}) group by 1)
        select coalesce(r.m, w.m), r.v - w.v from r full join w on r.m = w.m""")
    assert _days(by_month) == _days(want_month)


def test_offset_to_the_start_of_the_month(project: Path) -> None:
    got = _engine(project, "revenue_on_month_start", group_by=("metric_time__day",))
    want = _hand(project, f"select * from (select x.d, (select sum(amount) from {ORDERS} o where o.day = "
                          f"date_trunc('month', x.d)) as v from {DAYS} x) where v is not null")
    assert _days(got) == _days(want) and len(got) == 30 and {r[1] for r in got} == {7.0}
    with pytest.raises(UsageError, match="group by metric_time"):
        _engine(project, "revenue_on_month_start", group_by=("order__status",))


def _credited(window: str) -> str:
    """Each signup with the visit it is credited to: the user's latest visit on or before its day (within
    the window)."""
    return f"""
        select s.signup_id, v.* from main.raw_signups s join main.raw_visits v on v.visit_id = (
            select v2.visit_id from main.raw_visits v2 where v2.user_id = s.user_id
            and cast(v2.visited_at as date) <= cast(s.signed_up_at as date) {window}
            order by v2.visited_at desc limit 1)"""


def test_conversion_rate_within_a_week_and_conversions_over_all_time(project: Path) -> None:
    got = _engine(project, "visit_to_signup", "visit_signups", group_by=("metric_time__month", "visit__referrer"))
    week = "and cast(v2.visited_at as date) > cast(s.signed_up_at as date) - 7"
    want = _hand(project, f"""
        with base as (select date_trunc('month', cast(visited_at as date)) as m, referrer, count(*) as n
                      from main.raw_visits group by 1, 2),
             week as (select date_trunc('month', cast(visited_at as date)) as m, referrer, count(*) as n
                      from ({_credited(week)}) group by 1, 2),
             ever as (select date_trunc('month', cast(visited_at as date)) as m, referrer, count(*) as n
                      from ({_credited('')}) group by 1, 2)
        select base.m, base.referrer, cast(week.n as double) / base.n, ever.n from base
        left join week on week.m = base.m and week.referrer = base.referrer
        left join ever on ever.m = base.m and ever.referrer = base.referrer""")
    assert _days(got) == _days(want)
    assert ("2024-01-01", "google", 0.5, 2) in _days(got) and ("2024-02-01", "ads", 1.0, 2) in _days(got)
    overall = _engine(project, "visit_to_signup")
    assert overall == _hand(project, f"select cast((select count(*) from ({_credited(week)})) as double) / "
                                     "(select count(*) from main.raw_visits)") == [(0.5,)]


def test_non_additive_balances(project: Path) -> None:
    B = "(select account_id, cast(balance_date as date) as d, balance, customer_id from main.raw_balances)"
    by_month = _engine(project, "total_balance", group_by=("metric_time__month",))
    want = _hand(project, f"select date_trunc('month', d), sum(balance) from {B} b where d = (select max(d) "
                          f"from {B} x where x.account_id = b.account_id and date_trunc('month', x.d) = "
                          f"date_trunc('month', b.d)) group by 1")
    assert _days(by_month) == _days(want) == [("2024-01-01", 200), ("2024-02-01", 230)]
    by_region = _engine(project, "total_balance", "opening_balance", group_by=("customer__region",))
    want = _hand(project, f"""
        with latest as (select c.region, sum(b.balance) as v from {B} b join main.raw_customers c using (customer_id)
                        where d = (select max(d) from {B} x where x.account_id = b.account_id) group by 1),
             opening as (select c.region, sum(b.balance) as v from {B} b join main.raw_customers c using (customer_id)
                         where d = (select min(d) from {B}) group by 1)
        select latest.region, latest.v, opening.v from latest left join opening using (region)""")
    assert by_region == want and by_region == [("EU", 150, 100), ("US", 80, None)]


def test_two_hop_join_and_a_metric_filter(project: Path) -> None:
    got = _engine(project, "revenue", "orders", group_by=("customer__country__continent",))
    want = _hand(project, f"select n.continent, sum(o.amount), count(*) from {ORDERS} o join main.raw_customers c "
                          "using (customer_id) join main.raw_countries n using (country_id) group by 1")
    assert got == want and len(got) == 2
    big = _engine(project, "big_customer_revenue", group_by=("customer__region",))
    want = _hand(project, f"select c.region, sum(o.amount) from {ORDERS} o join main.raw_customers c using (customer_id) "
                          f"where o.customer_id in (select customer_id from {ORDERS} group by 1 having sum(amount) > 25) "
                          "group by 1")
    assert big == want == [("EU", 85.0)]
    inline = _engine(project, "orders", group_by=("metric_time__month",),
                     where=("{{ Metric('revenue', group_by=['customer']) }} > 25",))
    want = _hand(project, f"select date_trunc('month', day), count(*) from {ORDERS} where customer_id in "
                          f"(select customer_id from {ORDERS} group by 1 having sum(amount) > 25) group by 1")
    assert _days(inline) == _days(want)


def test_cli_query_and_validate_report_a_missing_time_spine(project: Path, tmp_path: Path) -> None:
    out = _mason(project, "sl", "query", "--metrics", "revenue_mtd,visit_to_signup", "--group-by",
                 "metric_time__month", "--order-by", "metric_time__month")
    assert out.returncode == 0, out.stderr
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in out.stdout.splitlines()]
    assert lines[0] == ["metric_time__month", "revenue_mtd", "visit_to_signup"]
    assert ["2024-02-01 00:00:00", "45.5", "0.666667"] in [[c[:8] if "." in c and len(c) > 8 else c for c in row]
                                                          for row in lines] or any(
        row[:2] == ["2024-02-01 00:00:00", "45.5"] for row in lines), out.stdout
    ok = _mason(project, "sl", "validate")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken"
    shutil.copytree(project, broken, ignore=shutil.ignore_patterns("*.duckdb", "target", ".mason"))
    yml = broken / "models" / "semantic.yml"
    yml.write_text(yml.read_text().replace("    time_spine: {standard_granularity_column: date_day}\n", "")
                   .replace("window: 7 days}}", "window: 7 parsecs}}"))
    text = yml.read_text().splitlines()
    line_of = {name: next(i for i, line in enumerate(text, 1) if f"name: {name}" in line and i > text.index(
        "metrics:")) for name in ("revenue_all_time", "revenue_7d")}
    for command in ("sl validate", "parse"):
        bad = _mason(broken, *command.split())
        out = bad.stderr + bad.stdout
        assert bad.returncode != 0, out
        assert f"models/semantic.yml:{line_of['revenue_all_time']}: metric revenue_all_time: needs a time spine" in out
        assert f"models/semantic.yml:{line_of['revenue_7d']}: metric revenue_7d: window '7 parsecs' is not a count" in out
    again = _mason(broken, "parse")
    assert again.returncode != 0 and "needs a time spine" in again.stderr + again.stdout


def test_sl_export_builds_the_saved_queries_exports(project: Path) -> None:
    out = _mason(project, "sl", "export")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK exported monthly_revenue.monthly_revenue as table" in out.stdout
    assert "OK exported monthly_revenue.monthly_revenue_view as view" in out.stdout and "2 exported" in out.stdout
    want = _hand(project, f"""
        select date_trunc('month', o.day), c.region, sum(o.amount), sum(o.amount), count(*) from {ORDERS} o
        join main.raw_customers c using (customer_id) group by 1, 2""")
    table = _hand(project, "select * from main.monthly_revenue")
    view = _hand(project, "select * from main.v_monthly_revenue")
    assert _days(table) == _days(view) == _days(want) and len(want) == 7
    kinds = _hand(project, "select table_name, table_type from information_schema.tables where table_name in "
                           "('monthly_revenue', 'v_monthly_revenue')")
    assert kinds == [("monthly_revenue", "BASE TABLE"), ("v_monthly_revenue", "VIEW")]
    again = _mason(project, "sl", "export", "--saved-query", "monthly_revenue")
    assert again.returncode == 0 and "2 exported" in again.stdout
    bad = _mason(project, "sl", "export", "--saved-query", "monthly_revenu")
    assert bad.returncode == 2 and "saved query 'monthly_revenu' is not defined" in bad.stderr


def test_the_python_api_returns_rows_dicts_and_arrow(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mason.api import semantic

    monkeypatch.chdir(project)  # the profile's relative DuckDB path, read from where we are (as dbt does)
    result = semantic.query(project, metrics=["revenue", "revenue_prev_month"], group_by="metric_time__month",
                            order_by=["metric_time__month"], where=["{{ Dimension('order__status') }} != 'placed'"])
    want = _hand(project, f"""
        with m as (select date_trunc('month', day) as m, sum(amount) as v from {ORDERS} where status != 'placed'
                   group by 1)
        select m.m, m.v, prev.v from m left join m as prev on prev.m = m.m - interval 1 month""")
    assert result.columns == ("metric_time__month", "revenue", "revenue_prev_month")
    assert _days(list(result)) == _days(want) and len(result) == 4
    assert result.to_dicts()[1]["revenue_prev_month"] == 33.0
    table = result.to_arrow()
    assert table.column_names == list(result.columns) and table.num_rows == 4


def test_the_older_specs_window_is_a_rolling_sum(project: Path) -> None:
    got = _engine(project, "legacy_revenue_14d", group_by=("metric_time__day", "status"),
                  start_time="2024-01-15", end_time="2024-02-05")
    want = _hand(project, f"select x.d, o.status, sum(o.amount) from {DAYS} x join {ORDERS} o on o.day <= x.d "
                          "and o.day > x.d - 14 where x.d between date '2024-01-15' and date '2024-02-05' "
                          "group by 1, 2")
    assert _days(got) == _days(want) and ("2024-01-28", "completed", 3.0) in _days(got)
