"""Scenario 9: a failed rebuild leaves the previous relation and its rows intact, and no temp relations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, buildable, case, model

# Spark has no transactions: it passes by building under a temporary name before dropping anything (a crash
# between the drop and the rename could still lose the relation there; transactional warehouses cannot)
pytestmark = pytest.mark.requires("failed_build_keeps_previous", "append")


def phased(config: str, good: str, bad: str) -> str:
    return f"{{{{ config({config}) }}}}\n{{% if var('phase') == 1 %}}\n{good}\n{{% else %}}\n{bad}\n{{% endif %}}\n"


GOOD_ROWS = "select 1 as id, 10 as val union all select 2, 20"
# builds fine as a select (val becomes text) but cannot go into the integer column of the target
BAD_VAL = "select 2 as id, 'not a number' as val union all select 3, 'x'"

MODELS = {
    "tbl": phased("materialized='table'", GOOD_ROWS, "select id, val, nosuchcol from (select 1 as id, 2 as val) s"),
    "vw": phased("materialized='view'", GOOD_ROWS, "select * from no_such_relation"),
    "tbl_to_view": phased("materialized='table'", GOOD_ROWS,
                          "{{ config(materialized='view') }}\nselect * from no_such_relation"),
    "inc_merge": phased("materialized='incremental', incremental_strategy='merge', unique_key='id'",
                        GOOD_ROWS, BAD_VAL),
    "inc_delete_insert": phased("materialized='incremental', incremental_strategy='delete+insert', unique_key='id'",
                                GOOD_ROWS, BAD_VAL),
    "inc_append": phased("materialized='incremental', incremental_strategy='append'", GOOD_ROWS, BAD_VAL),
}

NEEDS = {"inc_merge": ("merge",), "inc_delete_insert": ("delete+insert",)}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    names = buildable(warehouse, NEEDS, MODELS)
    project = Project(tmp_path_factory.mktemp("atomic"), warehouse, {f"models/{n}.sql": MODELS[n] for n in names})
    first = project.run("run", "--vars", "phase: 1")
    kinds = project.relations()
    second = project.run("run", "--vars", "phase: 2", expect=1)
    return SimpleNamespace(project=project, names=names, first=first, second=second, kinds=kinds)


def test_statuses(state: SimpleNamespace) -> None:
    assert state.first.statuses() == {model(n): "success" for n in state.names}
    assert state.second.statuses() == {model(n): "error" for n in state.names}


@pytest.mark.parametrize("name", [case(n, needs=NEEDS.get(n, ())) for n in sorted(MODELS)])
def test_previous_rows_intact(state: SimpleNamespace, name: str) -> None:
    assert state.project.rows(name) == [(1, 10), (2, 20)]


def test_relation_kinds_unchanged_and_no_temporaries(state: SimpleNamespace) -> None:
    assert state.project.relations() == state.kinds
    assert state.kinds == {n: "view" if n == "vw" else "table" for n in state.names}
