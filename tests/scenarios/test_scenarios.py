"""Mason on DuckDB gives dbt-core's results on every scenario (incremental strategies and options,
on_schema_change, full refresh, snapshots, microbatch).

Each scenario (see harness.py and defs_*.py) runs step by step with the `mason` CLI; after every step its
exit code, node statuses and captured relation contents must equal what dbt-core 1.11 + dbt-duckdb
produced on the same steps, recorded in expected/<scenario>.json by gen_dbt_expected.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from . import harness
from .capture import _parse_windows, capture

SCENARIOS = harness.all_scenarios()


def _invoke(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    proc = subprocess.run([sys.executable, "-m", "mason", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    (cwd / "mason-output.log").open("a").write(f"$ mason {' '.join(argv)} -> {proc.returncode}\n"
                                               f"{proc.stdout}\n{proc.stderr}\n")
    return proc.returncode


def _capture(db_path: str, spec: dict[str, Any]) -> dict[str, Any]:
    if not Path(db_path).exists():
        return {name: None for name in spec["relations"]}
    return capture(db_path, spec["schema"], spec["relations"], _parse_windows(spec["windows"]), spec["opaque"])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Mason's environment: UTC, no DBT_ variables, and compiled bytecode kept (in a temporary folder) even
    where PYTHONDONTWRITEBYTECODE is set, so the ~60 `mason` processes do not each recompile Mason."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["TZ"] = "UTC"
    env.setdefault("PYTHONPYCACHEPREFIX", str(tmp_path_factory.mktemp("pycache")))
    return env


def _relation_diff(name: str, want: Any, got: Any) -> list[str]:
    if want == got:
        return []
    if want is None or got is None:
        return [f"  {name}: dbt {'has no relation' if want is None else 'has it'}, "
                f"Mason {'has no relation' if got is None else 'has it'}"]
    out = [f"  {name}:"]
    if want["columns"] != got["columns"]:
        out.append(f"    columns: dbt {want['columns']}\n             Mason {got['columns']}")
    dbt_rows, mason_rows = Counter(map(repr, want["rows"])), Counter(map(repr, got["rows"]))
    if want["rows"] != got["rows"]:
        out.append(f"    rows only in dbt (or more often): {sorted((dbt_rows - mason_rows).elements())}")
        out.append(f"    rows only in Mason (or more often): {sorted((mason_rows - dbt_rows).elements())}")
        out.append(f"    dbt rows: {want['rows']}\n    Mason rows: {got['rows']}")
    return out


def differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    """Readable differences between dbt's and Mason's step records."""
    out: list[str] = []
    for i, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        lines: list[str] = []
        if want["exit_code"] != got["exit_code"]:
            lines.append(f"  exit code: dbt {want['exit_code']}, Mason {got['exit_code']}")
        if want["statuses"] != got["statuses"]:
            lines.append(f"  statuses: dbt {want['statuses']}\n            Mason {got['statuses']}")
        for name in want["relations"]:
            lines += _relation_diff(name, want["relations"][name], got["relations"].get(name))
        if lines:
            out.append(f"step {i} ({' '.join(want['args'])}):")
            out += lines
    return out


@pytest.mark.parametrize("scenario", [
    pytest.param(s, id=s.name, marks=[pytest.mark.xfail(reason=s.xfail, strict=True)] if s.xfail else [])
    for s in SCENARIOS])
def test_scenario_matches_dbt(scenario: harness.Scenario, tmp_path: Path, env: dict[str, str]) -> None:
    expected = harness.load_expected(scenario.name)
    assert [s["args"] for s in expected["steps"]] == [list(s.args) for s in scenario.steps], (
        f"the scenario's steps changed since expected/{scenario.name}.json was recorded: "
        "rerun tests/scenarios/gen_dbt_expected.py")
    actual = harness.run_scenario(scenario, tmp_path / scenario.name, _invoke, _capture, env)
    diff = differences(expected["steps"], actual)
    log = tmp_path / scenario.name / "mason-output.log"
    assert not diff, (f"Mason differs from dbt-core on {scenario.name} ({scenario.doc}):\n" + "\n".join(diff)
                      + f"\nMason's output: {log}")


def test_scenarios_can_fail() -> None:
    """The comparison notices a changed cell, a missing row, a column order change and an exit code."""
    rel = {"columns": [["id", "INTEGER"], ["v", "VARCHAR"]], "rows": [[1, "a"], [2, "b"]]}
    step = {"args": ["run"], "exit_code": 0, "statuses": {"model.scen.m": "success"}, "relations": {"m": rel}}
    assert differences([step], [step]) == []
    changed = {**rel, "rows": [[1, "a"], [2, "B"]]}
    reordered = {**rel, "columns": [["v", "VARCHAR"], ["id", "INTEGER"]]}
    for got in ({**step, "relations": {"m": changed}}, {**step, "relations": {"m": {**rel, "rows": [[1, "a"]]}}},
                {**step, "relations": {"m": reordered}}, {**step, "exit_code": 1},
                {**step, "relations": {"m": None}}):
        assert differences([step], [got]), got
