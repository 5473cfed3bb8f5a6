"""Scenario 4: timestamp and check snapshots across two runs with changed source rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse

pytestmark = pytest.mark.requires("snapshots")

T1 = "cast('2024-01-01 00:00:00' as timestamp)"
T2 = "cast('2024-01-02 00:00:00' as timestamp)"
D1, D2 = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)

SOURCE = f"""
{{% if var('phase') == 1 %}}
select 1 as id, 'a' as v, {T1} as updated_at union all
select 2, 'b', {T1}
{{% else %}}
select 1 as id, 'a2' as v, {T2} as updated_at union all
select 3, 'c', {T2}
{{% endif %}}
"""

FILES = {
    "models/snap_src.sql": "{{ config(materialized='table') }}\n" + SOURCE,
    # YAML-defined snapshot, timestamp strategy, deletions ignored (the default)
    "snapshots/snapshots.yml": """
        snapshots:
          - name: snap_ts
            relation: ref('snap_src')
            config:
              unique_key: id
              strategy: timestamp
              updated_at: updated_at
        """,
    # Jinja-block snapshot, check strategy, deletions invalidate the current row
    "snapshots/snap_check.sql": """
        {% snapshot snap_check %}
        {{ config(unique_key='id', strategy='check', check_cols=['v'], hard_deletes='invalidate') }}
        select id, v from {{ ref('snap_src') }}
        {% endsnapshot %}
        """,
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("snapshots"), warehouse, FILES)
    first = project.run("build", "--vars", "phase: 1")
    ts_1 = project.rows("snap_ts", columns="id, v, dbt_valid_from, dbt_valid_to")
    check_1 = project.rows("snap_check", columns="id, v, dbt_valid_to is null")
    second = project.run("build", "--vars", "phase: 2")
    after_second = {n: project.rows(n) for n in ("snap_ts", "snap_check")}
    third = project.run("snapshot", "--vars", "phase: 2")
    return SimpleNamespace(project=project, first=first, second=second, third=third, ts_1=ts_1, check_1=check_1,
                           after_second=after_second)


def test_statuses(state: SimpleNamespace) -> None:
    expected = {"model.conformance.snap_src": "success", "snapshot.conformance.snap_ts": "success",
                "snapshot.conformance.snap_check": "success"}
    assert state.first.statuses() == expected
    assert state.second.statuses() == expected
    assert state.third.statuses() == {k: v for k, v in expected.items() if k.startswith("snapshot.")}


def test_rerun_without_source_changes_adds_nothing(state: SimpleNamespace) -> None:
    assert {n: state.project.rows(n) for n in ("snap_ts", "snap_check")} == state.after_second


def test_first_run_copies_source(state: SimpleNamespace) -> None:
    assert state.ts_1 == [(1, "a", D1, None), (2, "b", D1, None)]
    assert state.check_1 == [(1, "a", True), (2, "b", True)]


def test_meta_columns(state: SimpleNamespace) -> None:
    cols = list(state.project.columns("snap_ts"))
    assert cols == ["id", "v", "updated_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"]


def test_timestamp_strategy(state: SimpleNamespace) -> None:
    rows = state.project.rows("snap_ts", columns="id, v, dbt_valid_from, dbt_valid_to, dbt_updated_at")
    assert rows == [
        (1, "a", D1, D2, D1),      # closed when the new version appeared
        (1, "a2", D2, None, D2),
        (2, "b", D1, None, D1),    # deleted at the source, hard_deletes=ignore keeps it current
        (3, "c", D2, None, D2),
    ]


def test_check_strategy(state: SimpleNamespace) -> None:
    p = state.project
    rows = p.rows("snap_check", columns="id, v, dbt_valid_to is null")
    assert rows == [(1, "a", False), (1, "a2", True), (2, "b", False), (3, "c", True)]
    # the closed row's valid_to is the new row's valid_from (one snapshot timestamp per run)
    (closed_to, opened_from), = p.query(
        f"select o.dbt_valid_to, n.dbt_valid_from from {p.warehouse.qualify(p.schema, 'snap_check')} o "
        f"join {p.warehouse.qualify(p.schema, 'snap_check')} n on o.id = n.id "
        "where o.v = 'a' and n.v = 'a2'")
    assert closed_to == opened_from
    scd_ids = p.query(f"select count(distinct dbt_scd_id), count(*) from {p.warehouse.qualify(p.schema, 'snap_check')}")
    assert scd_ids == [(4, 4)]
