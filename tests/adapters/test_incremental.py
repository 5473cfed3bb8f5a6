"""Scenario 3: incremental models across three runs (phase 1, phase 2, phase 2 with --full-refresh)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, buildable, case, model

pytestmark = pytest.mark.requires("append")


def rows_sql(*rows: str) -> str:
    return " union all ".join(f"select {r}" for r in rows)


def phased(config: str, phase1: list[str], phase2: list[str]) -> str:
    return (f"{{{{ config(materialized='incremental', {config}) }}}}\n"
            f"{{% if var('phase') == 1 %}}\n{rows_sql(*phase1)}\n{{% else %}}\n{rows_sql(*phase2)}\n{{% endif %}}\n")


P1_KV = ["1 as id, 'a' as v", "2, 'b'"]
P2_KV = ["2 as id, 'b2' as v", "3, 'c'"]

MODELS = {
    "inc_append": phased("incremental_strategy='append'", P1_KV, P2_KV),
    "inc_delete_insert": phased("incremental_strategy='delete+insert', unique_key='id'", P1_KV, P2_KV),
    "inc_delete_insert_composite": phased(
        "incremental_strategy='delete+insert', unique_key=['k1', 'k2']",
        ["1 as k1, 1 as k2, 'a' as v", "1, 2, 'b'"], ["1 as k1, 2 as k2, 'B' as v", "2, 1, 'c'"]),
    "inc_merge": phased("incremental_strategy='merge', unique_key='id'", P1_KV, P2_KV),
    "inc_merge_composite": phased(
        "incremental_strategy='merge', unique_key=['k1', 'k2']",
        ["1 as k1, 1 as k2, 'a' as v", "1, 2, 'b'"], ["1 as k1, 2 as k2, 'B' as v", "2, 1, 'c'"]),
    "inc_merge_update_columns": phased(
        "incremental_strategy='merge', unique_key='id', merge_update_columns=['v']",
        ["1 as id, 'a' as v, 'x' as w"], ["1 as id, 'A' as v, 'X' as w", "2, 'b', 'y'"]),
    "inc_merge_exclude_columns": phased(
        "incremental_strategy='merge', unique_key='id', merge_exclude_columns=['w']",
        ["1 as id, 'a' as v, 'x' as w"], ["1 as id, 'A' as v, 'X' as w", "2, 'b', 'y'"]),
    "inc_predicates": phased(
        "incremental_strategy='merge', unique_key='id', incremental_predicates=['DBT_INTERNAL_DEST.id > 1']",
        P1_KV, ["1 as id, 'A' as v", "2, 'B'"]),
    "inc_no_full_refresh": phased("incremental_strategy='append', full_refresh=false",
                                  ["1 as id"], ["2 as id"]),
    "osc_ignore": phased("incremental_strategy='append', on_schema_change='ignore'",
                         ["1 as id, 'a1' as a, 'b1' as b"], ["2 as id, 'a2' as a, 'b2' as b, 'c2' as c"]),
    "osc_fail": phased("incremental_strategy='append', on_schema_change='fail'",
                       ["1 as id, 'a1' as a, 'b1' as b"], ["2 as id, 'a2' as a, 'b2' as b, 'c2' as c"]),
    "osc_append": phased("incremental_strategy='append', on_schema_change='append_new_columns'",
                         ["1 as id, 'a1' as a, 'b1' as b"], ["2 as id, 'a2' as a, 'b2' as b, 'c2' as c"]),
    "osc_sync": phased("incremental_strategy='append', on_schema_change='sync_all_columns'",
                       ["1 as id, 'a1' as a, 'b1' as b"], ["2 as id, 'a2' as a, 'c2' as c"]),
    # is_incremental() with {{ this }}: only rows newer than what the target holds.
    "events": "{% if var('phase') == 1 %}" + rows_sql("1 as id", "2") + "{% else %}"
              + rows_sql("1 as id", "2", "3") + "{% endif %}",
    "inc_this": ("{{ config(materialized='incremental', incremental_strategy='append') }}\n"
                 "select id, {{ 'true' if is_incremental() else 'false' }} as loaded_incrementally\n"
                 "from {{ ref('events') }}\n"
                 "{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n"),
}

# capabilities each model needs beyond append; models an adapter lacks them for are left out of its project
NEEDS = {
    "inc_delete_insert": ("delete+insert",),
    "inc_delete_insert_composite": ("delete+insert",),
    "inc_merge": ("merge",),
    "inc_merge_composite": ("merge",),
    "inc_merge_update_columns": ("merge", "merge_update_columns"),
    "inc_merge_exclude_columns": ("merge", "merge_update_columns"),
    "inc_predicates": ("merge", "incremental_predicates"),
}

FULL_REFRESHED = ("inc_append", "inc_no_full_refresh", "osc_fail")


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    names = buildable(warehouse, NEEDS, MODELS)
    project = Project(tmp_path_factory.mktemp("incremental"), warehouse,
                      {f"models/{name}.sql": MODELS[name] for name in names})
    first = project.run("run", "--vars", "phase: 1")
    after_first = {name: project.rows(name) for name in names}
    second = project.run("run", "--vars", "phase: 2", expect=1)
    after_second = {name: project.rows(name) for name in names}
    columns_second = {name: list(project.columns(name)) for name in names}
    third = project.run("run", "--vars", "phase: 2", "--full-refresh", "--select", *FULL_REFRESHED)
    after_third = {name: project.rows(name) for name in FULL_REFRESHED}
    columns_third = {name: list(project.columns(name)) for name in FULL_REFRESHED}
    return SimpleNamespace(project=project, names=names, first=first, second=second, third=third,
                           after_first=after_first, after_second=after_second, after_third=after_third,
                           columns_second=columns_second, columns_third=columns_third)


def test_statuses(state: SimpleNamespace) -> None:
    assert state.first.statuses() == {model(n): "success" for n in state.names}
    expected = {model(n): "success" for n in state.names}
    expected[model("osc_fail")] = "error"
    assert state.second.statuses() == expected
    assert state.third.statuses() == {model(n): "success" for n in FULL_REFRESHED}


def test_first_build_creates_tables(state: SimpleNamespace) -> None:
    a = state.after_first
    assert a["inc_append"] == [(1, "a"), (2, "b")]
    assert a["inc_this"] == [(1, False), (2, False)]
    kinds = state.project.relations()
    assert {n: kinds[n] for n in state.names} == {n: "view" if n == "events" else "table" for n in state.names}


SECOND_RUN = {
    "inc_append": [(1, "a"), (2, "b"), (2, "b2"), (3, "c")],
    "inc_delete_insert": [(1, "a"), (2, "b2"), (3, "c")],
    "inc_delete_insert_composite": [(1, 1, "a"), (1, 2, "B"), (2, 1, "c")],
    "inc_merge": [(1, "a"), (2, "b2"), (3, "c")],
    "inc_merge_composite": [(1, 1, "a"), (1, 2, "B"), (2, 1, "c")],
    "inc_merge_update_columns": [(1, "A", "x"), (2, "b", "y")],
    "inc_merge_exclude_columns": [(1, "A", "x"), (2, "b", "y")],
    # the predicate keeps id 1 out of the match, so the new id 1 row is inserted beside the old one
    "inc_predicates": [(1, "A"), (1, "a"), (2, "B")],
    "inc_no_full_refresh": [(1,), (2,)],
    "inc_this": [(1, False), (2, False), (3, True)],
}


@pytest.mark.parametrize("name, expected", [case(n, rows, needs=NEEDS.get(n, ())) for n, rows in SECOND_RUN.items()])
def test_second_run(state: SimpleNamespace, name: str, expected: list[tuple]) -> None:
    assert state.after_second[name] == expected


@pytest.mark.parametrize("name, columns, expected", [
    ("osc_ignore", ["id", "a", "b"], [(1, "a1", "b1"), (2, "a2", "b2")]),
    ("osc_fail", ["id", "a", "b"], [(1, "a1", "b1")]),
    ("osc_append", ["id", "a", "b", "c"], [(1, "a1", "b1", None), (2, "a2", "b2", "c2")]),
    ("osc_sync", ["id", "a", "c"], [(1, "a1", None), (2, "a2", "c2")]),
])
def test_on_schema_change(state: SimpleNamespace, name: str, columns: list[str], expected: list[tuple]) -> None:
    assert state.columns_second[name] == columns
    assert state.after_second[name] == expected


def test_on_schema_change_fail_message(state: SimpleNamespace) -> None:
    message = state.second.results[model("osc_fail")]["message"] or ""
    assert "on_schema_change" in message or "schema" in message.lower(), message


def test_full_refresh(state: SimpleNamespace) -> None:
    a = state.after_third
    assert a["inc_append"] == [(2, "b2"), (3, "c")]
    assert a["osc_fail"] == [(2, "a2", "b2", "c2")]
    assert state.columns_third["osc_fail"] == ["id", "a", "b", "c"]
    # full_refresh: false wins over --full-refresh: the model appends once more instead of rebuilding
    assert a["inc_no_full_refresh"] == [(1,), (2,), (2,)]


def test_no_temporary_relations_left(state: SimpleNamespace) -> None:
    assert set(state.project.relations()) == set(state.names)
