"""Scenario 6: pre/post hooks from model config and dbt_project.yml, on-run-start / on-run-end."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model


def audit_insert(event: str, model_expr: str = "null", n: str = "null") -> str:
    """SQL appending one audit row; seq is the number of rows already there, so it records order."""
    return ("insert into {{ target.schema }}.audit "
            f"select (select count(*) from {{{{ target.schema }}}}.audit), '{event}', {model_expr}, {n}")


def project_yml(warehouse: Warehouse) -> str:
    t = warehouse.types
    return f"""
        on-run-start:
          - "create schema if not exists {{{{ target.schema }}}}"
          - "create table if not exists {{{{ target.schema }}}}.audit (seq {t['integer']}, event {t['text']}, model {t['text']}, n {t['integer']})"
          - "{audit_insert('run-start')}"
        on-run-end:
          - "{audit_insert('run-end', "'{{ schemas | join(',') }}'", n='{{ results | length }}')}"
        models:
          conformance:
            +pre-hook: "{audit_insert('project-pre', "'{{ this.name }}'")}"
            +post-hook: "{audit_insert('project-post', "'{{ this.name }}'")}"
        """


FILES = {
    "models/first.sql": (
        "{{ config(materialized='table',\n"
        f"    pre_hook=\"{audit_insert('model-pre', chr(39) + '{{ this.name }}' + chr(39))}\",\n"
        f"    post_hook=[\"{audit_insert('model-post', chr(39) + '{{ this.name }}' + chr(39), '(select count(*) from {{ this }})')}\"]"
        ") }}\n"
        "select 1 as id union all select 2"),
    "models/second.sql": "select * from {{ ref('first') }}",
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("hooks"), warehouse, FILES, project_yml=project_yml(warehouse))
    run = project.run("run")
    return SimpleNamespace(project=project, run=run)


def test_statuses(state: SimpleNamespace) -> None:
    op = "operation.conformance.conformance"
    assert state.run.statuses() == {
        f"{op}-on-run-start-0": "success", f"{op}-on-run-start-1": "success", f"{op}-on-run-start-2": "success",
        model("first"): "success", model("second"): "success", f"{op}-on-run-end-0": "success",
    }


def test_audit_rows_in_order(state: SimpleNamespace) -> None:
    assert state.project.rows("audit")[:7] == [
        (0, "run-start", None, None),
        (1, "project-pre", "first", None),
        (2, "model-pre", "first", None),
        (3, "project-post", "first", None),
        (4, "model-post", "first", 2),     # runs after the table exists
        (5, "project-pre", "second", None),
        (6, "project-post", "second", None),
    ]
    # on-run-end sees the schemas the run built into
    assert state.project.rows("audit", columns="seq, event, model")[7:] == [(7, "run-end", state.project.schema)]


def test_on_run_end_results_are_node_results(state: SimpleNamespace) -> None:
    assert state.project.rows("audit", columns="seq, n")[7:] == [(7, 2)]


def test_models_built(state: SimpleNamespace) -> None:
    assert state.project.rows("second") == [(1,), (2,)]


def test_before_begin_and_after_commit_hooks(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    text = warehouse.types["text"]
    log = "{{ target.schema }}.hook_log"
    project = Project(tmp_path_factory.mktemp("hooks_transaction"), warehouse, {
        "models/a.sql": (
            "{{ config(materialized='table',\n"
            f"    pre_hook=before_begin(\"create table if not exists {log} (seq {warehouse.types['integer']}, e {text})\"),\n"
            f"    post_hook=[after_commit(\"insert into {log} select (select count(*) from {log}), 'after_commit'\"),\n"
            f"               {{'sql': \"insert into {log} select (select count(*) from {log}), 'in_transaction'\", "
            "'transaction': true}]) }}\n"
            "select 1 as id"),
    })
    run = project.run("run")
    assert run.statuses() == {model("a"): "success"}
    # hooks inside the transaction run before those after the commit, whatever their order in the config
    assert project.rows("hook_log") == [(0, "in_transaction"), (1, "after_commit")]
