"""The checks real packages make on what they are given, in a project built like dbt-utils' own tests.

`libs/guards` tells relations from strings the way many hub packages do (a mapping whose metadata type ends
in `Relation`, refused ephemeral CTEs), sets a generic test's `fail_calc` with `config()` while parsing,
reads a query's columns as a mapping, and passes regular expressions and LIKE patterns from YAML to SQL.
`projects/pkg_guards` uses it on refs, sources, `this`, `api.Relation.create` and `adapter.get_relation`,
with test arguments of every kind (lists, dicts, nulls, symbols, backslashes, Jinja) for dbt's test names.

Every node must end with the status dbt-core 1.11 gave it (same unique ids, so the same names and hashes)
and every table must hold what dbt built (projects/pkg_guards/expected/, from gen_dbt_expected.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .tables import dump_tables
from .test_package_projects import assert_same_tables, expected, installed_project, mason, rows, statuses


def outcomes(project: Path) -> dict[str, list[object]]:
    """status, failures and message of every seed and test, as in dbt's run_results.json"""
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: [r["status"], r["failures"], r["message"]] for r in results
            if r["unique_id"].split(".")[0] in ("seed", "test")}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_project(tmp_path_factory, "pkg_guards")


def test_build_matches_dbt_node_for_node(guarded: Path) -> None:
    built = mason(guarded, "build", "--profiles-dir", ".")
    assert built.returncode == 1, built.stdout + built.stderr  # reads_ephemeral fails, as in dbt
    assert statuses(guarded) == expected("pkg_guards", "run1.statuses.json")
    # failure counts as dbt reports them: none on a pass, even when rows came back under the thresholds
    assert outcomes(guarded) == expected("pkg_guards", "run1.outcomes.json")
    assert_same_tables(dump_tables(guarded / "warehouse.duckdb"), expected("pkg_guards", "run1.tables.json"))

    # ref, api.Relation.create, adapter.get_relation, this and source all pass the package's relation check
    assert rows(guarded, "select from_ref, from_adapter, from_source from relation_checks") == [(
        'codes|"main"."codes"|True|True|DuckDBRelation', 'codes|"main"."codes"|True|True|DuckDBRelation',
        'events|"main"."events"|True|True|DuckDBRelation')]
    # backslashes reach SQL as written: Jinja escapes, a YAML var, a Jinja expression
    assert rows(guarded, "select * from pattern_text") == [("\\d+", "\\d{5}", "a\tb", "^\\d{3}\\.\\w+$", "%\\_%")]
    results = {r["unique_id"]: r for r in json.loads((guarded / "target" / "run_results.json").read_text())["results"]}
    # fail_calc set by config() in the test macro: the failure count is the row gap (3), not one row
    gap = results["test.guards_app.guards_row_gap_codes_ref_five_.3036bbd444"]
    assert (gap["status"], gap["failures"]) == ("warn", 3)
    eph = results["model.guards_app.reads_ephemeral"]
    assert "cannot read the ephemeral model __dbt__cte__eph" in eph["message"]


def test_test_configs_render_jinja_like_dbt(guarded: Path) -> None:
    manifest = json.loads((guarded / "target" / "manifest.json").read_text())
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    # `enabled: "{{ target.type in ['bigquery', 'trino'] }}"` is false on DuckDB: the test is disabled
    assert not [n for n in tests if "a_z" in n and "__i___i" in n]
    disabled = [n for lst in manifest["disabled"].values() for n in lst]
    assert [n["name"] for n in disabled if n["resource_type"] == "test"] == [
        "guards_matches_regex_codes_email__i___i_a_z_"]
    assert tests["guards_row_gap_codes_ref_five_"]["config"]["fail_calc"] == "coalesce(sum(gap), 0)"
    assert tests["guards_row_gap_codes_ref_five_"]["config"]["warn_if"] == ">2"  # the YAML's config


def test_full_refresh_build_matches_dbt(guarded: Path) -> None:
    built = mason(guarded, "build", "--profiles-dir", ".", "--full-refresh")
    assert built.returncode == 1, built.stdout + built.stderr
    assert statuses(guarded) == expected("pkg_guards", "run2.statuses.json")
    assert outcomes(guarded) == expected("pkg_guards", "run2.outcomes.json")  # seeds say CREATE n
    assert_same_tables(dump_tables(guarded / "warehouse.duckdb"), expected("pkg_guards", "run2.tables.json"))
