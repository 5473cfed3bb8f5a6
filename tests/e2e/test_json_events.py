"""Mason's `--log-format json` events have the shapes dbt-core 1.11 gives them, which orchestrators parse (Dagster's
dagster-dbt reads Log*Result events' node_info; others read NodeStart / NodeFinished).

The expected shapes were recorded from dbt-core 1.11.16 on examples/jaffle_shop by tests/e2e/gen_dbt_events.py
(expected/dbt_events.json): per event name its code, levels, info keys, data keys and node_info keys; per
scenario (the project as it is, and with a model that errors and a test that fails) each node's result event,
status and level.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.gen_dbt_events import PROJECT, RESULT_EVENTS, break_project

EXPECTED = json.loads((Path(__file__).parent / "expected" / "dbt_events.json").read_text())
# the events Mason writes with dbt's shape (dbt's others are about its connections, its parser, its deprecations)
SHARED = ("MainReportVersion", "MainReportArgs", "AdapterRegistered", "FoundStats", "Formatting", "ConcurrencyLine",
          "NodeStart", "NodeFinished", "LogStartLine", "LogModelResult", "LogSeedResult", "LogSnapshotResult",
          "LogTestResult", "LogNodeNoOpResult", "SkippingDetails", "LogHookStartLine", "LogHookEndLine",
          "FinishedRunningStats", "EndOfRunSummary", "RunResultFailure", "RunResultError", "RunResultWarning",
          "RunResultWarningMessage", "SQLCompiledPath", "StatsLine", "CommandCompleted")
MASON_ONLY = {"Note", "JinjaLogInfo", "JinjaLogDebug", "PrintEvent"}


def _run(tmp: Path, scenario: str, extra_env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str],
                                                                                      Path]:
    """`mason build` as Dagster starts it: the project, profiles, target and log folders and the JSON format all
    from the environment, from another working directory."""
    project = tmp / scenario
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    if scenario == "broken":
        break_project(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env.update({"DBT_LOG_FORMAT": "json", "DBT_LOG_LEVEL": "debug", "DBT_PROJECT_DIR": str(project),
                "DBT_PROFILES_DIR": str(project), "DBT_TARGET_PATH": str(tmp / f"{scenario}-run"),
                "DBT_LOG_PATH": str(tmp / f"{scenario}-run"), "SHOP_DUCKDB_PATH": str(project / "shop.duckdb"),
                **(extra_env or {})})
    run = subprocess.run([sys.executable, "-m", "mason", "build"], cwd=tmp, env=env, capture_output=True, text=True,
                         timeout=600)
    return run, tmp / f"{scenario}-run"


def _events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]  # every line is one JSON event


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, list[dict[str, Any]], Path]]:
    tmp = tmp_path_factory.mktemp("events")
    out = {}
    for scenario in ("clean", "broken"):
        run, where = _run(tmp, scenario)
        assert run.stderr == "", run.stderr[-3000:]
        out[scenario] = (run.returncode, _events(run.stdout), where)
    return out


@pytest.mark.parametrize("scenario", ["clean", "broken"])
def test_each_nodes_result_event_and_status_are_dbts(runs: dict[str, Any], scenario: str) -> None:
    code, events, _ = runs[scenario]
    expected = EXPECTED["scenarios"][scenario]
    assert code == expected["exit_code"]
    got = {e["data"]["node_info"]["unique_id"]: [e["info"]["name"], e["data"]["node_info"]["node_status"],
                                                 e["info"]["level"]]
           for e in events if e["info"]["name"] in RESULT_EVENTS}
    want = {uid: list(r) for uid, r in expected["results"].items()}
    for uid, r in want.items():
        if uid.startswith("unit_test.") and r[1] == "None":  # dbt leaves a unit test's node_status unset here
            r[1] = got.get(uid, ["", "pass"])[1]
    # Mason's own anomaly tests (docs/monitoring.md), which dbt-core cannot run, report as any other test does
    mason_only = {uid for uid in got if uid not in want and "_anomalies_" in uid}
    assert mason_only and all(got[uid][0] == "LogTestResult" for uid in mason_only)
    assert {uid: r for uid, r in got.items() if uid not in mason_only} == want


def test_every_event_has_dbts_shape(runs: dict[str, Any]) -> None:
    seen: set[str] = set()
    for _, events, _ in runs.values():
        for e in events:
            name = e["info"]["name"]
            if name in MASON_ONLY or name == "SourceCheckResult":
                continue
            assert name in SHARED, name
            seen.add(name)
            shape = EXPECTED["events"][name]
            assert e["info"]["code"] == shape["code"], name
            assert sorted(e["info"]) == shape["info"], name
            assert e["info"]["level"] in shape["levels"], (name, e["info"]["level"])
            keys = set(e["data"])
            assert set(shape["data_always"]) <= keys <= set(shape["data_always"]) | set(shape["data_sometimes"]), \
                (name, sorted(keys))
            if "node_info" in e["data"]:
                assert sorted(e["data"]["node_info"]) == shape["node_info"], name
                assert sorted(e["data"]["node_info"]["node_relation"]) == shape["node_relation"], name
    assert seen == set(SHARED)


def test_node_info_describes_the_node(runs: dict[str, Any]) -> None:
    _, events, _ = runs["clean"]
    finished = {e["data"]["node_info"]["unique_id"]: e for e in events if e["info"]["name"] == "LogModelResult"}
    orders = finished["model.shop.orders"]["data"]["node_info"]
    assert orders["node_relation"] == {"database": "shop", "schema": "main_marts", "alias": "orders",
                                       "relation_name": '"shop"."main_marts"."orders"'}
    assert (orders["materialized"], orders["resource_type"], orders["node_status"]) == ("table", "model", "success")
    assert orders["node_path"] == "marts/orders.sql" and orders["meta"] == {"owner": "data-team"}
    assert orders["node_started_at"] < orders["node_finished_at"]
    node_finished = next(e for e in events if e["info"]["name"] == "NodeFinished"
                         and e["data"]["node_info"]["unique_id"] == "seed.shop.raw_orders")
    assert node_finished["data"]["run_result"]["status"] == "success"
    assert node_finished["data"]["run_result"]["adapter_response"]["rows_affected"] == 40
    test = next(e for e in events if e["info"]["name"] == "LogTestResult" and e["info"]["level"] == "warn")
    assert (test["data"]["status"], test["data"]["num_failures"]) == ("warn", 3)
    assert len({e["info"]["invocation_id"] for e in events}) == 1


def test_artifacts_and_log_go_where_the_environment_says(runs: dict[str, Any]) -> None:
    _, events, where = runs["clean"]
    assert (where / "run_results.json").is_file() and (where / "manifest.json").is_file()
    log = (where / "dbt.log").read_text().splitlines()
    names = {json.loads(line)["info"]["name"] for line in log}  # --log-format json applies to the file too
    assert {"NodeStart", "NodeFinished", "LogModelResult", "StatsLine"} <= names


def test_info_level_leaves_debug_events_to_the_file(tmp_path: Path) -> None:
    run, where = _run(tmp_path, "clean", {"DBT_LOG_LEVEL": "info", "DBT_LOG_FORMAT_FILE": "text"})
    assert run.returncode == 0, run.stdout[-3000:]
    names = {e["info"]["name"] for e in _events(run.stdout)}
    assert "LogModelResult" in names and "NodeStart" not in names and "NodeFinished" not in names
    log = (where / "dbt.log").read_text()
    assert "OK created sql table model main_marts.orders" in log and not log.startswith("{")


def test_errors_before_the_run_are_json_too(tmp_path: Path) -> None:
    run, _ = _run(tmp_path, "clean", {"DBT_TARGET": "no_such_target"})
    assert run.returncode != 0
    (event,) = _events(run.stdout)
    assert event["info"]["name"] == "MainEncounteredError" and event["info"]["level"] == "error"
    assert "no_such_target" in event["data"]["exc"]
