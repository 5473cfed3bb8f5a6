"""`mason advise` on DuckDB: a project built to trigger each piece of advice (a deep CTE chain, a large table
rebuilt in full, a left join whose right side is the large one, a join of two large relations without a
filter), with file:line, ordered by the run history's costs; the Spark layout rule on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mason.advise.rules import Model, Settings, layout
from tests.monitor.conftest import Project

FILES = {
    "models/big_events.sql": """
        {{ config(materialized='table') }}
        select i as id, i % 1000 as customer_id, timestamp '2024-01-01' + to_seconds(i) as updated_at, i % 7 as kind
        from range(5000) t(i)
        """,
    "models/big_other.sql": """
        {{ config(materialized='table') }}
        select i as id, i % 1000 as customer_id, i * 2 as amount from range(4000) t(i)
        """,
    "models/customers.sql": "{{ config(materialized='table') }}\nselect i as customer_id, 'c' || i as name from range(50) t(i)",
    "models/enriched.sql": """
        select c.customer_id, e.id
        from {{ ref('customers') }} c
        left join {{ ref('big_events') }} e on e.customer_id = c.customer_id
        """,
    "models/pairs.sql": """
        select e.id, o.amount
        from {{ ref('big_events') }} e
        join {{ ref('big_other') }} o on o.customer_id = e.customer_id
        """,
    "models/deep.sql": """
        with a as (
            select * from {{ ref('customers') }}
        ),
        b as (select customer_id, name from a),
        c as (select customer_id, upper(name) as name from b),
        d as (select customer_id, name || '!' as name from c),
        e as (select * from d where customer_id > 3),
        f as (select * from e)
        select * from f
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("advise"), FILES)
    p.run("run")
    return p


def advice(p: Project, *args: str) -> dict[str, Any]:
    out = p.run("advise", "--min-rows", "1000", "--output", "json", *args)
    return json.loads(out.stdout)


def test_each_advice_with_its_place(project: Project) -> None:
    data = advice(project)
    assert data["timings_from"] == "history"
    found = {(a["kind"], a["unique_id"]): a for a in data["advice"]}
    assert set(found) == {
        ("cte_chain", "model.m.deep"), ("incremental", "model.m.big_events"),
        ("join_large_side_built", "model.m.enriched"), ("join_unfiltered", "model.m.pairs")}
    chain = found[("cte_chain", "model.m.deep")]
    assert chain["location"] == "models/deep.sql:1" and "a -> b -> c -> d -> e -> f" in chain["message"]
    assert chain["also"] == ["models/deep.sql:5: `c`, where the chain splits"]
    inc = found[("incremental", "model.m.big_events")]
    assert inc["location"] == "models/big_events.sql:1" and inc["rows"] == 5000
    assert "incremental on `updated_at`" in inc["fix"] and "unique_key='id'" in inc["fix"]
    left = found[("join_large_side_built", "model.m.enriched")]
    assert left["location"] == "models/enriched.sql:3" and "(50 rows)" in left["message"]
    assert "(5,000 rows" in left["message"]
    pairs = found[("join_unfiltered", "model.m.pairs")]
    assert pairs["location"] == "models/pairs.sql:3" and "no filter" in pairs["message"]
    costs = [a["cost_seconds"] for a in data["advice"]]
    assert costs == sorted(costs, reverse=True) and all(c > 0 for c in costs)


def test_text_report_and_selection(project: Project) -> None:
    out = project.run("advise", "--min-rows", "1000", "-s", "deep").stdout
    assert out.startswith("1 piece of advice for 1 model, costliest first (median run times from the run history)")
    assert "1. models/deep.sql:1  model.m.deep  [cte_chain]" in out and "fix: split it" in out
    quiet = project.run("advise", "--min-rows", "1000000", "--max-cte-chain", "10").stdout
    assert quiet.startswith("No advice for 6 models")


def test_without_history_run_results_give_the_costs(tmp_path: Path) -> None:
    p = Project(tmp_path / "p", {"models/deep.sql": FILES["models/deep.sql"],
                                 "models/customers.sql": FILES["models/customers.sql"]},
                project_yml="monitoring: {history: false}\n")
    p.run("run")
    data = advice(p)
    assert data["timings_from"] == "run_results.json" and [a["kind"] for a in data["advice"]] == ["cte_chain"]


def test_layout_rule_for_warehouses_with_layout_configs() -> None:
    big = Model("model.p.events", "events", "models/events.sql", "{{ config(materialized='table') }}\nselect 1",
                "", "table", {"materialized": "table"}, "s.events", 3.5, 2_000_000,
                [("id", "bigint"), ("event_date", "date")])
    (found,) = layout(big, Settings(), ("partition_by", "clustered_by"))
    assert found.location == "models/events.sql:1" and "partition_by=['event_date']" in found.fix
    assert layout(big, Settings(), ()) == []  # a warehouse without layout configs
    big.config["partition_by"] = ["event_date"]
    assert layout(big, Settings(), ("partition_by", "clustered_by")) == []
