"""Scenario: the time-aware metric types on every warehouse (the time spine, cumulative windows, offsets,
conversions, non-additive balances). The SQL Mason writes (`mason sl query --explain`, in the warehouse's
dialect) is run there and must give what SQL written by hand over the raw seeds gives."""

from __future__ import annotations

from typing import Any

import pytest

from ..semantic.types_project import FILES
from .conftest import Project, Warehouse
from .test_semantic import _norm


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("semantic_types"), warehouse, FILES,
                project_yml="models:\n  conformance:\n    +materialized: table\n")
    p.run("build")
    return p


def _engine(project: Project, *args: str) -> list[tuple[Any, ...]]:
    explained = project.run("sl", "query", *args, "--explain")
    return _norm(project.query(explained.stdout))


def _minus_days(project: Project, expr: str, days: int) -> str:
    return f"date_sub({expr}, {days})" if project.warehouse.name == "spark" else f"({expr} - {days})"


def _next_month(project: Project, expr: str) -> str:
    return {"spark": f"add_months({expr}, 1)", "postgres": f"cast({expr} + interval '1 month' as date)"}.get(
        project.warehouse.name, f"cast({expr} + interval 1 month as date)")


def _tables(project: Project) -> dict[str, str]:
    q = project.warehouse.qualify
    return {
        "o": f"(select customer_id, cast(ordered_at as date) as day, amount from {q(project.schema, 'raw_orders')})",
        "days": f"(select cast(date_day as date) as d from {q(project.schema, 'raw_days')})",
        "c": q(project.schema, "raw_customers"),
        "v": f"(select visit_id, user_id, cast(cast(visited_at as timestamp) as date) as day, referrer "
             f"from {q(project.schema, 'raw_visits')})",
        "s": f"(select signup_id, user_id, cast(cast(signed_up_at as timestamp) as date) as day "
             f"from {q(project.schema, 'raw_signups')})",
        "b": f"(select account_id, cast(balance_date as date) as d, balance from {q(project.schema, 'raw_balances')})",
    }


def test_cumulative_window_by_day_and_region(project: Project) -> None:
    t = _tables(project)
    got = _engine(project, "--metrics", "revenue_7d", "--group-by", "metric_time__day,customer__region",
                  "--start-time", "2024-02-10", "--end-time", "2024-02-20")
    want = _norm(project.query(
        f"select x.d, c.region, sum(o.amount) from {t['days']} x join {t['o']} o on o.day <= x.d and "
        f"o.day > {_minus_days(project, 'x.d', 7)} join {t['c']} c on c.customer_id = o.customer_id "
        "where x.d >= date '2024-02-10' and x.d <= date '2024-02-20' group by x.d, c.region"))
    assert got == want and len(want) == 6


def test_offset_by_a_month(project: Project) -> None:
    t = _tables(project)
    got = _engine(project, "--metrics", "revenue_prev_month", "--group-by", "metric_time__month")
    want = _norm(project.query(
        f"select {_next_month(project, 'm')}, v from (select date_trunc('month', day) as m, sum(amount) as v "
        f"from {t['o']} group by date_trunc('month', day)) monthly"))
    # the spine ends in April: March's revenue is April's "month earlier", nothing is May's
    assert got == [w for w in want if w[0] <= "2024-04-01"] and [g[0] for g in got] == [
        "2024-02-01", "2024-03-01", "2024-04-01"]


def test_conversion_rate_by_month_and_referrer(project: Project) -> None:
    t = _tables(project)
    got = _engine(project, "--metrics", "visit_to_signup", "--group-by", "metric_time__month,visit__referrer")
    credited = (f"select s.signup_id, v.day, v.referrer, row_number() over (partition by s.signup_id "
                f"order by v.day desc) as n from {t['s']} s join {t['v']} v on v.user_id = s.user_id "
                f"and v.day <= s.day and v.day > {_minus_days(project, 's.day', 7)}")
    want = _norm(project.query(f"""
        select b.m, b.referrer, cast(coalesce(w.n, 0) as double precision) / b.n from
        (select date_trunc('month', day) as m, referrer, count(*) as n from {t['v']}
         group by date_trunc('month', day), referrer) b
        left join (select date_trunc('month', day) as m, referrer, count(*) as n from ({credited}) x where n = 1
                   group by date_trunc('month', day), referrer) w on w.m = b.m and w.referrer = b.referrer"""
                               .replace("double precision", "double" if project.warehouse.name == "spark"
                                        else "double precision")))
    got = [(m, r, v if v is not None else 0.0) for m, r, v in got]
    assert got == want and ("2024-01-01", "google", 0.5) in got


def test_non_additive_balance_by_month(project: Project) -> None:
    t = _tables(project)
    got = _engine(project, "--metrics", "total_balance", "--group-by", "metric_time__month")
    want = _norm(project.query(
        f"select date_trunc('month', b.d), sum(b.balance) from {t['b']} b join (select account_id, "
        f"date_trunc('month', d) as m, max(d) as last_day from {t['b']} group by account_id, date_trunc('month', d)) "
        "l on l.account_id = b.account_id and l.last_day = b.d group by date_trunc('month', b.d)"))
    assert got == want == [("2024-01-01", 200), ("2024-02-01", 230)]


def test_postgres_sessions_can_be_read_only_with_a_statement_timeout(project: Project) -> None:
    """What `mason serve` asks of its PostgreSQL connections: no writes, no statement running for ever."""
    if project.warehouse.name != "postgres":
        pytest.skip("PostgreSQL's session settings")
    from dataclasses import replace

    from mason.adapters.factory import open_adapter
    from mason.errors import DatabaseError
    from mason.project.loader import load
    from mason.session import Session

    session = Session(project_dir=project.root, profiles_dir=project.root)
    loaded = load(session)
    target = replace(loaded.target, credentials={**loaded.target.credentials, "read_only": True,
                                                 "statement_timeout_ms": 300})
    adapter = open_adapter(target, session, loaded.project.quoting)
    try:
        _, table = adapter.execute(f"select count(*) from {project.warehouse.qualify(project.schema, 'raw_orders')}",
                                   fetch=True)
        assert table is not None and list(table.rows) == [(8,)]
        with pytest.raises(DatabaseError, match="read-only transaction"):
            adapter.execute(f"create table {project.schema}.written (i int)")
        with pytest.raises(DatabaseError, match="statement timeout"):
            adapter.execute("select pg_sleep(3)")
    finally:
        adapter.close()
