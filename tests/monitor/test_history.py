"""The run history on DuckDB, from the CLI: what each command writes into mason_monitoring, `mason history`
(recent runs, a node's trend, flaky tests), secrets masked, the switches, and a failing write that only
warns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import Project

SECRET = "tok-S3CRET-99"
FILES = {
    "seeds/raw.csv": "id,amount,loaded_at\n1,10,2024-01-01 00:00:00\n2,20,2024-01-02 00:00:00\n3,30,2024-01-03 00:00:00\n",
    "models/a.sql": "{{ config(materialized='table') }}\nselect id, amount from {{ ref('raw') }}",
    "models/b.sql": "select id, amount * 2 as doubled from {{ ref('a') }}",
    "models/from_var.sql": "select * from {{ var('tbl', ref('a')) }}",
    "models/schema.yml": """
        version: 2
        models:
          - name: a
            columns:
              - name: id
                data_tests: [unique, not_null]
        sources:
          - name: raw
            schema: main
            loaded_at_field: loaded_at
            freshness:
              warn_after: {count: 1, period: day}
            tables:
              - name: raw
        """,
    # fails when --vars '{fail: 1}': a test to flip between runs
    "tests/sometimes.sql": "select * from {{ ref('a') }} where {{ var('fail', 0) }} = 1",
}


def invocations(p: Project, schema: str = "mason_monitoring") -> list[dict]:
    return p.query_dicts(f"select * from {schema}.mason_invocations order by started_at")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("history"), FILES)
    subprocess.run(["git", "init", "-q"], cwd=p.root, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=p.root, check=True)
    p.run("build")
    p.run("build", "--vars", "{fail: 1}", expect=1)
    p.run("build")
    return p


def test_invocations_row_per_command(history: Project) -> None:
    rows = invocations(history)
    assert [(r["command"], r["status"], r["exit_code"]) for r in rows] == [
        ("build", "success", 0), ("build", "error", 1), ("build", "success", 0)]
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=history.root, capture_output=True, text=True).stdout.strip()
    first = rows[0]
    assert first["git_sha"] == sha and first["git_branch"] in ("master", "main")
    assert first["project_name"] == "m" and first["target_name"] == "dev" and first["target_type"] == "duckdb"
    assert first["node_count"] == 7 and first["error_count"] == 0 and first["elapsed_seconds"] > 0
    assert rows[1]["error_count"] == 1 and json.loads(rows[1]["args"])["vars"] == {"fail": 1}
    assert first["started_at"] < first["finished_at"] <= rows[1]["started_at"]


def test_node_results_with_timings(history: Project) -> None:
    rows = history.query_dicts("select * from mason_monitoring.mason_node_results where unique_id = 'model.m.a' "
                               "order by started_at")
    assert len(rows) == 3
    for r in rows:
        assert r["resource_type"] == "model" and r["materialized"] == "table" and r["status"] == "success"
        assert r["rows_affected"] is None or r["rows_affected"] >= 0
        assert r["compile_seconds"] >= 0 and r["execute_seconds"] > 0
        assert r["compile_seconds"] + r["execute_seconds"] == pytest.approx(r["total_seconds"], abs=0.05)
        assert r["relation_name"] == '"warehouse"."main"."a"'
    seed = history.query_dicts("select rows_affected from mason_monitoring.mason_node_results "
                               "where unique_id = 'seed.m.raw'")
    assert [r["rows_affected"] for r in seed] == [3, 3, 3]


def test_test_results_with_failing_rows(history: Project) -> None:
    rows = history.query_dicts("select t.*, i.started_at as run_at from mason_monitoring.mason_test_results t "
                               "join mason_monitoring.mason_invocations i using (invocation_id) "
                               "where t.name = 'sometimes' order by run_at")
    assert [(r["status"], r["failures"]) for r in rows] == [("pass", 0), ("fail", 3), ("pass", 0)]
    assert rows[0]["test_type"] == "singular" and rows[0]["failing_rows"] is None
    assert json.loads(rows[1]["failing_rows"]) == [{"id": 1, "amount": 10}, {"id": 2, "amount": 20},
                                                   {"id": 3, "amount": 30}]
    unique = history.query_dicts("select * from mason_monitoring.mason_test_results where test_type = 'unique'")
    assert len(unique) == 3 and unique[0]["attached_node"] == "model.m.a" and unique[0]["column_name"] == "id"
    assert unique[0]["is_anomaly_test"] is False and unique[0]["severity"] == "error"


def test_mason_history_lists_runs_and_flaky_tests(history: Project) -> None:
    out = history.run("history").stdout
    lines = out.splitlines()
    assert lines[0] == "Recent runs (newest first):"
    assert [line.split()[2] for line in lines[3:6]] == ["build"] * 3
    assert [line.split()[4] for line in lines[3:6]] == ["success", "error", "success"]
    assert "Flaky tests" in out and "sometimes" in out and "P F P" in out
    flaky = json.loads(history.run("history", "--flaky", "-o", "json").stdout)["flaky_tests"]
    assert [(f["name"], f["flips"], f["statuses"]) for f in flaky] == [("sometimes", 2, ["pass", "fail", "pass"])]
    assert json.loads(history.run("history", "--flaky", "--min-flips", "3", "-o", "json").stdout)["flaky_tests"] == []


def test_mason_history_node_trend(history: Project) -> None:
    out = history.run("history", "-s", "a").stdout
    assert out.splitlines()[0] == "model.m.a: last 3 runs (newest first)"
    assert "median" in out and "against the median" in out
    trend = json.loads(history.run("history", "-s", "model.m.a", "--limit", "2", "-o", "json").stdout)["trend"]
    assert len(trend) == 2 and all(t["status"] == "success" and t["total_seconds"] > 0 for t in trend)
    assert "No recorded results for 'nothing'" in history.run("history", "-s", "nothing").stdout


def test_secrets_never_reach_the_history(history: Project) -> None:
    history.run("run", "-s", "from_var", "--vars", f"{{tbl: {SECRET}}}", env={"DBT_ENV_SECRET_TOKEN": SECRET},
                expect=1)
    dump = json.dumps(history.query("select * from mason_monitoring.mason_invocations")
                      + history.query("select * from mason_monitoring.mason_node_results"), default=str)
    assert SECRET not in dump
    failed = history.query_dicts("select message from mason_monitoring.mason_node_results "
                                 "where unique_id = 'model.m.from_var' and status = 'error'")
    assert failed and "*****" in failed[0]["message"]


def test_source_freshness_is_recorded(history: Project) -> None:
    history.run("source", "freshness", expect=None)
    (row,) = history.query_dicts("select * from mason_monitoring.mason_source_freshness")
    assert row["unique_id"] == "source.m.raw.raw" and row["source_name"] == "raw" and row["table_name"] == "raw"
    assert row["status"] == "warn" and str(row["max_loaded_at"]) == "2024-01-03 00:00:00"
    assert row["warn_after_seconds"] == 86400 and row["error_after_seconds"] is None and row["age_seconds"] > 86400
    assert invocations(history)[-1]["command"] == "source freshness"


def test_switched_off_and_elsewhere(tmp_path: Path) -> None:
    p = Project(tmp_path / "off", FILES, "monitoring:\n  history: false\n")
    p.run("seed")
    assert p.query("select count(*) from information_schema.schemata where schema_name = 'mason_monitoring'") == [(0,)]
    q = Project(tmp_path / "env", FILES)
    q.run("seed", env={"MASON_HISTORY": "0"})
    assert q.query("select count(*) from information_schema.tables where table_schema = 'mason_monitoring'") == [(0,)]
    r = Project(tmp_path / "ops", FILES, "monitoring:\n  schema: ops_history\n")
    r.run("seed")
    assert [row["command"] for row in invocations(r, "ops_history")] == ["seed"]
    assert " seed " in r.run("history").stdout


def test_a_failing_write_only_warns(tmp_path: Path) -> None:
    p = Project(tmp_path, FILES, "monitoring:\n  database: no_such_database\n")
    result = p.run("seed")  # exit 0: the seed loaded
    assert "could not write the run history to schema mason_monitoring" in result.stdout
    assert p.statuses() == {"seed.m.raw": "success"}
