"""Scenario 5: data tests — pass, fail, warn, where, limit, store_failures, custom generic, singular."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from .conftest import Project, Warehouse

FILES = {
    "models/people.sql": """
        {{ config(materialized='table') }}
        select 1 as id, 'a' as name, 10 as score union all
        select 2, 'b', null union all
        select 2, 'y', null union all
        select 3, 'zz', 30
        """,
    "models/schema.yml": """
        version: 2
        models:
          - name: people
            columns:
              - name: id
                data_tests:
                  - unique:
                      config: {store_failures: true}
                  - not_null
                  - is_positive
              - name: score
                data_tests:
                  - not_null:
                      config: {where: "id <> 2"}
                  - is_positive:
                      config: {severity: warn}
              - name: name
                data_tests:
                  - accepted_values:
                      values: ['a', 'b']
                      config: {limit: 1}
        """,
    # unit tests: one passes, one fails and so skips its model (and that model's tests)
    # (they read `scores`, which has no data tests, so failing data tests on `people` skip nothing here)
    "models/scores.sql": "select 1 as id, 'a' as name, 10 as score union all select 2, 'b', null",
    "models/doubled.sql": "select id, score * 2 as score2 from {{ ref('scores') }}",
    "models/labelled.sql": "select id, upper(name) as label from {{ ref('scores') }}",
    "models/labelled.yml": """
        version: 2
        models:
          - name: labelled
            data_tests:
              - has_rows
        """,
    "models/unit_tests.yml": """
        unit_tests:
          - name: doubles_score
            model: doubled
            given:
              - input: ref('scores')
                rows: [{id: 1, score: 4}, {id: 2, score: null}]
            expect:
              rows: [{id: 1, score2: 8}, {id: 2, score2: null}]
          - name: labels_wrongly
            model: labelled
            given:
              - input: ref('scores')
                rows: [{id: 1, name: ab}]
            expect:
              rows: [{id: 1, label: ab}]
        """,
    "tests/generic/has_rows.sql": """
        {% test has_rows(model) %}
        select 1 as failure from (select count(*) as n from {{ model }}) c where n = 0
        {% endtest %}
        """,
    "tests/generic/is_positive.sql": """
        {% test is_positive(model, column_name) %}
        select * from {{ model }} where {{ column_name }} <= 0 or {{ column_name }} is null
        {% endtest %}
        """,
    "tests/assert_no_negative_ids.sql": "select * from {{ ref('people') }} where id < 0",
    "tests/assert_single_b.sql": "{{ config(store_failures=true) }}\nselect * from {{ ref('people') }} where name = 'b'",
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    files = dict(FILES)
    if "unit_tests" not in warehouse.capabilities:
        del files["models/unit_tests.yml"]
    project = Project(tmp_path_factory.mktemp("data_tests"), warehouse, files)
    build = project.run("build", expect=1)
    by_name = {uid.split(".")[2]: r for uid, r in build.results.items() if uid.startswith("test.")}
    return SimpleNamespace(project=project, build=build, tests=by_name)


def test_test_names(state: SimpleNamespace) -> None:
    assert sorted(state.tests) == sorted([
        "has_rows_labelled_",
        "unique_people_id", "not_null_people_id", "is_positive_people_id", "not_null_people_score",
        "is_positive_people_score", "accepted_values_people_name__a__b", "assert_no_negative_ids",
        "assert_single_b",
    ])


@pytest.mark.parametrize("name, status, failures", [
    ("unique_people_id", "fail", 1),
    ("not_null_people_id", "pass", 0),
    ("is_positive_people_id", "pass", 0),                 # custom generic test
    ("not_null_people_score", "pass", 0),                 # where: excludes the null rows
    ("is_positive_people_score", "warn", 2),              # severity: warn
    ("accepted_values_people_name__a__b", "fail", 1),     # 2 bad values, limit: 1
    ("assert_no_negative_ids", "pass", 0),                # singular
    ("assert_single_b", "fail", 1),                       # singular, failing
])
def test_status_and_failures(state: SimpleNamespace, name: str, status: str, failures: int) -> None:
    result = state.tests[name]
    assert (result["status"], result["failures"]) == (status, failures), result["message"]


def test_models_built(state: SimpleNamespace) -> None:
    assert state.build.status("model.conformance.people") == "success"
    assert state.build.status("model.conformance.scores") == "success"
    assert state.build.status("model.conformance.doubled") == "success"


@pytest.mark.requires("unit_tests")
def test_unit_tests(state: SimpleNamespace) -> None:
    b = state.build
    assert b.status("unit_test.conformance.doubled.doubles_score") == "pass"
    assert b.status("unit_test.conformance.labelled.labels_wrongly") == "fail"
    assert b.status("model.conformance.labelled") == "skipped"
    assert state.tests["has_rows_labelled_"]["status"] == "skipped"
    assert "labelled" not in state.project.relations()
    assert state.project.rows("doubled") == [(1, 20), (2, None)]


@pytest.mark.requires("store_failures")
def test_store_failures_audit_tables(state: SimpleNamespace) -> None:
    p = state.project
    audit = f"{p.schema}_dbt_test__audit"
    assert set(p.relations(audit)) == {"unique_people_id", "assert_single_b"}
    assert p.rows("unique_people_id", schema=audit) == [(2, 2)]
    assert list(p.columns("unique_people_id", schema=audit)) == ["unique_field", "n_records"]
    assert p.rows("assert_single_b", schema=audit) == [(2, "b", None)]


# Tests that share one statement (execute/test_batches.py on the warehouses that allow it): every verdict as
# if each ran alone, and a batch whose statement fails (one test reads a column that does not exist) falls
# back to running its tests one by one, the broken one reporting its own error.
BATCH_FILES = {
    "models/wide.sql": """
        {{ config(materialized='table') }}
        select 1 as id, 'a' as kind, 5 as n union all
        select 2, 'b', -1 union all
        select 2, 'c', null
        """,
    "models/wide.yml": """
        version: 2
        models:
          - name: wide
            columns:
              - name: id
                data_tests: [unique, not_null]
              - name: kind
                data_tests:
                  - accepted_values: {values: ['a', 'b']}
                  - not_null
              - name: n
                data_tests:
                  - not_null: {config: {severity: warn}}
                  - is_positive: {config: {warn_if: '>= 5', error_if: '>= 10'}}
              - name: no_such_column
                data_tests: [not_null]
        """,
    "tests/generic/is_positive.sql": """
        {% test is_positive(model, column_name) %}
        select * from {{ model }} where {{ column_name }} <= 0 or {{ column_name }} is null
        {% endtest %}
        """,
}


@pytest.mark.parametrize("broken", [False, True])
def test_batched_tests_report_as_if_run_alone(warehouse: Warehouse, tmp_path: Any, broken: bool) -> None:
    files = dict(BATCH_FILES)
    if not broken:
        files["models/wide.yml"] = files["models/wide.yml"].split("              - name: no_such_column")[0]
    project = Project(tmp_path, warehouse, files, threads=1)
    build = project.run("build", expect=1)
    got = {uid.split(".")[2]: (r["status"], r["failures"]) for uid, r in build.results.items()
           if uid.startswith("test.")}
    expected = {
        "unique_wide_id": ("fail", 1), "not_null_wide_id": ("pass", 0),
        "accepted_values_wide_kind__a__b": ("fail", 1), "not_null_wide_kind": ("pass", 0),
        "not_null_wide_n": ("warn", 1), "is_positive_wide_n": ("pass", 0),
    }
    if broken:
        expected["not_null_wide_no_such_column"] = ("error", None)
    assert got == expected
    messages = {uid.split(".")[2]: r["message"] for uid, r in build.results.items() if uid.startswith("test.")}
    assert messages["unique_wide_id"] == "Got 1 result, configured to fail if != 0"
    assert messages["not_null_wide_n"] == "Got 1 result, configured to warn if != 0"
    if broken:
        assert "no_such_column" in messages["not_null_wide_no_such_column"]
    # each test's own query, as it would have run alone, in target/run
    run_sql = project.root / "target" / "run" / "conformance" / "models" / "wide.yml" / "not_null_wide_id.sql"
    text = run_sql.read_text()
    assert "mason_test_index" not in text and text.count("dbt_internal_test") == 1
