"""dbt behaviours the real package suites rely on (dbt-codegen's and dbt-audit-helper's integration tests,
compared with dbt-core 1.11 on the same checkouts): each here on a project of our own."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_mason
from .test_failures import make_project, results


def test_a_failing_test_on_a_source_skips_what_reads_the_source(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "seeds/raw.csv": "id\n1\n1\n",
        "models/sources.yml": "version: 2\nsources:\n  - name: src\n    schema: main\n    tables:\n"
                              "      - name: raw\n        columns:\n          - name: id\n"
                              "            data_tests: [unique]\n",
        "tests/raw_has_two.sql": "select * from (select count(*) as n from {{ source('src', 'raw') }}) c where n <> 3",
        "models/from_raw.sql": "select * from {{ source('src', 'raw') }}",
        "models/other.sql": "select 1 as id",
    })
    assert run_mason(root, "seed").code == 0
    res = run_mason(root, "build", "--exclude", "resource_type:seed")
    assert res.code == 1
    r = results(root)
    assert r["test.p.raw_has_two"]["status"] == "fail"
    assert next(v for k, v in r.items() if k.startswith("test.p.source_unique_src_raw_id"))["status"] == "fail"
    assert r["model.p.from_raw"]["status"] == "skipped"
    assert r["model.p.other"]["status"] == "success"


def test_unit_tests_without_inputs_and_expecting_no_rows(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/listed.sql": "{% for v in var('items', []) %}select '{{ v }}' as item, {{ loop.index }} as n"
                             "{% if not loop.last %} union all {% endif %}{% endfor %}"
                             "{% if not var('items', []) %}select 'x' as item, 0 as n limit 0{% endif %}",
        "models/unit.yml": """
unit_tests:
  - name: lists_two
    model: listed
    given: []
    overrides: {vars: {items: [a, b]}}
    expect: {rows: [{item: a, n: 1}, {item: b, n: 2}]}
  - name: lists_none
    model: listed
    given: []
    overrides: {vars: {items: []}}
    expect: {rows: []}
  - name: expects_none_but_gets_one
    model: listed
    given: []
    overrides: {vars: {items: [a]}}
    expect: {rows: []}
""",
    })
    res = run_mason(root, "test")
    r = results(root)
    status = {k.split(".")[-1]: v["status"] for k, v in r.items()}
    assert status == {"lists_two": "pass", "lists_none": "pass", "expects_none_but_gets_one": "fail"}, (res.stdout + res.stderr)
    assert res.code == 1


def test_unit_test_overrides_a_package_qualified_macro(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "macros/bounds.sql": "{% macro bounds() %}{{ return({'low': 0, 'high': 100}) }}{% endmacro %}"
                             "{% macro limits_sql() %}{% set b = bounds() %}"
                             "select {{ b['low'] }} as low, {{ b['high'] }} as high{% endmacro %}",
        "models/limits.sql": "{{ p.limits_sql() }} union all select {{ p.bounds()['low'] }}, 1",
        "models/unit.yml": """
unit_tests:
  - name: narrowed
    model: limits
    given: []
    overrides:
      macros:
        p.bounds: {low: 5, high: 6}
    expect: {rows: [{low: 5, high: 6}, {low: 5, high: 1}]}
""",
    })
    res = run_mason(root, "test")
    assert res.code == 0, (res.stdout + res.stderr)
    assert results(root)["unit_test.p.limits.narrowed"]["status"] == "pass"


def test_files_in_the_fixtures_folder_are_not_singular_tests(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/m.sql": "select 1 as id",
        "tests/fixtures/rows_for_m.sql": "select 1 as id",
        "tests/fixtures/nested/more.csv": "id\n1\n",
        "tests/real_check.sql": "select * from {{ ref('m') }} where id <> 1",
    })
    assert run_mason(root, "parse").code == 0
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    assert sorted(k for k in manifest["nodes"] if k.startswith("test.")) == ["test.p.real_check"]


def test_unit_test_rows_from_fixture_files(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "seeds/people.csv": "id,name\n1,a\n",
        "models/upper.sql": "select id, upper(name) as name from {{ ref('people') }}",
        "tests/fixtures/people_rows.csv": "id,name\n1,ann\n2,bob\n",
        "tests/fixtures/sql/upper_rows.sql": "select 1 as id, '{{ 'ANN' }}' as name union all select 2, 'BOB'",
        "models/unit.yml": """
unit_tests:
  - name: from_files
    model: upper
    given:
      - input: ref('people')
        format: csv
        fixture: people_rows
    expect:
      format: sql
      fixture: upper_rows
  - name: missing_file
    model: upper
    given:
      - input: ref('people')
        format: csv
        fixture: nobody
    expect: {rows: []}
""",
    })
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "fixture file nobody.csv not found" in (res.stdout + res.stderr) and "models/unit.yml" in (res.stdout + res.stderr)
    (root / "models" / "unit.yml").write_text((root / "models" / "unit.yml").read_text().split("  - name: missing")[0])
    assert run_mason(root, "seed").code == 0
    res = run_mason(root, "test")
    assert res.code == 0, (res.stdout + res.stderr)
    assert results(root)["unit_test.p.upper.from_files"]["status"] == "pass"


UNIT_TESTS = """
unit_tests:
  - name: ok_one
    model: dbl
    given: [{input: ref('base'), rows: [{id: 1}]}]
    expect: {rows: [{d: 2}]}
  - name: bad_one
    model: dbl
    given: [{input: ref('base'), rows: [{id: %s}]}]
    expect: {rows: [{d: 3}]}
  - name: bad_two
    model: dbl
    given: [{input: ref('base'), rows: [{id: 1}]}]
    expect: {rows: [{d: 4}]}
  - name: ok_two
    model: dbl
    given: [{input: ref('base'), rows: [{id: 2}]}]
    expect: {rows: [{d: 4}]}
"""


def test_a_unit_test_error_skips_the_models_other_unit_tests_but_a_failure_does_not(tmp_path: Path) -> None:
    """As dbt-core 1.11 builds it (checked with 4 threads): failing unit tests all run and the model is
    skipped; a unit test that errors (here a value that is no integer) skips the model's unit tests not yet
    run, the model and what follows it."""
    files = {"models/base.sql": "select 1 as id", "models/dbl.sql": "select id * 2 as d from {{ ref('base') }}",
             "models/after.sql": "select d from {{ ref('dbl') }}"}
    failing = make_project(tmp_path / "fails", {**files, "models/unit.yml": UNIT_TESTS % "1"})
    assert run_mason(failing, "build", "--threads", "4").code == 1
    status = {k.split(".")[-1]: v["status"] for k, v in results(failing).items()}
    assert status == {"base": "success", "ok_one": "pass", "ok_two": "pass", "bad_one": "fail", "bad_two": "fail",
                      "dbl": "skipped", "after": "skipped"}

    erring = make_project(tmp_path / "errs", {**files, "models/unit.yml": UNIT_TESTS % "abc"})
    assert run_mason(erring, "build", "--threads", "4").code == 1
    status = {k.split(".")[-1]: v["status"] for k, v in results(erring).items()}
    units = sorted(status.pop(n) for n in ("ok_one", "ok_two", "bad_one", "bad_two"))
    assert status == {"base": "success", "dbl": "skipped", "after": "skipped"}
    assert units.count("error") == 1 and units.count("skipped") == 4 - 1 - units.count("pass")
