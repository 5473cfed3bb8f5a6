"""Scenario 1: view, table and ephemeral materializations; switching table<->view on rebuild."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model

FILES = {
    "models/v.sql": "{{ config(materialized='view') }}\nselect 1 as id, 'one' as name union all select 2, 'two'",
    "models/t.sql": "{{ config(materialized='table') }}\nselect id * 10 as id, name from {{ ref('v') }}",
    "models/eph.sql": "{{ config(materialized='ephemeral') }}\nselect id + 1 as id from {{ ref('t') }}",
    "models/uses_eph.sql": "{{ config(materialized='table') }}\nselect id from {{ ref('eph') }} where id > 15",
    "models/tv.sql": "{{ config(materialized='table') }}\nselect 1 as x",
    "models/vt.sql": "{{ config(materialized='view') }}\nselect 2 as x",
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("materializations"), warehouse, FILES)
    first = project.run("run")
    kinds_before = project.relations()
    project.write({
        "models/tv.sql": "{{ config(materialized='view') }}\nselect 10 as x",
        "models/vt.sql": "{{ config(materialized='table') }}\nselect 20 as x",
    })
    second = project.run("run", "--select", "tv", "vt")
    return SimpleNamespace(project=project, first=first, second=second, kinds_before=kinds_before)


def test_statuses(state: SimpleNamespace) -> None:
    assert state.first.statuses() == {model(n): "success" for n in ("v", "t", "uses_eph", "tv", "vt")}
    assert state.second.statuses() == {model("tv"): "success", model("vt"): "success"}


def test_relation_kinds_and_ephemeral_has_no_relation(state: SimpleNamespace) -> None:
    assert state.kinds_before == {"v": "view", "t": "table", "uses_eph": "table", "tv": "table", "vt": "view"}


def test_rows(state: SimpleNamespace) -> None:
    p = state.project
    assert p.rows("v") == [(1, "one"), (2, "two")]
    assert p.rows("t") == [(10, "one"), (20, "two")]
    assert p.rows("uses_eph") == [(21,)]


def test_ephemeral_is_inlined_as_cte(state: SimpleNamespace) -> None:
    compiled = state.first.results[model("uses_eph")]["compiled_code"]
    assert "__dbt__cte__eph" in compiled
    assert model("eph") not in state.first.results


def test_table_to_view_and_view_to_table(state: SimpleNamespace) -> None:
    p = state.project
    kinds = p.relations()
    assert kinds["tv"] == "view" and kinds["vt"] == "table"
    assert p.rows("tv") == [(10,)]
    assert p.rows("vt") == [(20,)]
    assert set(kinds) == {"v", "t", "uses_eph", "tv", "vt"}, "no backup or temp relation may remain"
