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
    "models/eph2.sql": "{{ config(materialized='ephemeral') }}\nselect id * 2 as id from {{ ref('eph') }}",
    "models/uses_both_eph.sql": "select e.id as a, f.id as b from {{ ref('eph') }} e join {{ ref('eph2') }} f on f.id = 2 * e.id",
    "models/tv.sql": "{{ config(materialized='table') }}\nselect 1 as x",
    "models/vt.sql": "{{ config(materialized='view') }}\nselect 2 as x",
    "models/v_to_inc.sql": "{{ config(materialized='view') }}\nselect 3 as x",
    "models/t_to_inc.sql": "{{ config(materialized='table') }}\nselect 4 as x",
    "models/inc_to_v.sql": "{{ config(materialized='incremental') }}\nselect 5 as x",
}
BUILT = ("v", "t", "uses_eph", "uses_both_eph", "tv", "vt", "v_to_inc", "t_to_inc", "inc_to_v")
SWITCHED = {
    "models/tv.sql": "{{ config(materialized='view') }}\nselect 10 as x",
    "models/vt.sql": "{{ config(materialized='table') }}\nselect 20 as x",
    # an existing view is replaced by a fresh table; an existing table is treated as the incremental target
    "models/v_to_inc.sql": "{{ config(materialized='incremental') }}\nselect 30 as x",
    "models/t_to_inc.sql": ("{{ config(materialized='incremental') }}\nselect 40 as x\n"
                            "{% if is_incremental() %}union all select 41{% endif %}"),
    "models/inc_to_v.sql": "{{ config(materialized='view') }}\nselect 50 as x",
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("materializations"), warehouse, FILES)
    first = project.run("run")
    kinds_before = project.relations()
    project.write(SWITCHED)
    second = project.run("run")  # also rebuilds t and v, with v feeding t
    return SimpleNamespace(project=project, first=first, second=second, kinds_before=kinds_before)


def test_statuses(state: SimpleNamespace) -> None:
    assert state.first.statuses() == {model(n): "success" for n in BUILT}
    assert state.second.statuses() == state.first.statuses()


def test_relation_kinds_and_ephemeral_has_no_relation(state: SimpleNamespace) -> None:
    assert state.kinds_before == {"v": "view", "t": "table", "uses_eph": "table", "uses_both_eph": "view",
                                  "tv": "table", "vt": "view", "v_to_inc": "view", "t_to_inc": "table",
                                  "inc_to_v": "table"}


def test_rows(state: SimpleNamespace) -> None:
    p = state.project
    assert p.rows("v") == [(1, "one"), (2, "two")]
    assert p.rows("t") == [(10, "one"), (20, "two")]
    assert p.rows("uses_eph") == [(21,)]
    assert p.rows("uses_both_eph") == [(11, 22), (21, 42)]


def test_ephemeral_is_inlined_as_cte(state: SimpleNamespace) -> None:
    compiled = state.first.results[model("uses_eph")]["compiled_code"]
    assert "__dbt__cte__eph" in compiled
    nested = state.first.results[model("uses_both_eph")]["compiled_code"]
    assert nested.index("__dbt__cte__eph as") < nested.index("__dbt__cte__eph2 as")
    assert model("eph") not in state.first.results and model("eph2") not in state.first.results


def test_table_to_view_and_view_to_table(state: SimpleNamespace) -> None:
    p = state.project
    kinds = p.relations()
    assert kinds["tv"] == "view" and kinds["vt"] == "table"
    assert p.rows("tv") == [(10,)]
    assert p.rows("vt") == [(20,)]
    assert set(kinds) == set(BUILT), "no backup or temp relation may remain"


def test_switches_involving_incremental(state: SimpleNamespace) -> None:
    p = state.project
    kinds = p.relations()
    assert (kinds["v_to_inc"], kinds["t_to_inc"], kinds["inc_to_v"]) == ("table", "table", "view")
    assert p.rows("v_to_inc") == [(30,)]
    assert p.rows("t_to_inc") == [(4,), (40,), (41,)]
    assert p.rows("inc_to_v") == [(50,)]
