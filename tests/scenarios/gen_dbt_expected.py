#!/usr/bin/env python3
"""Record dbt-core's results for every scenario into tests/scenarios/expected/<scenario>.json.

Runs the real dbt-core 1.11 with dbt-duckdb from a private virtualenv outside the repository (created on
first use with pip), in a temporary copy of each scenario's project, and captures each step's exit code,
node statuses and relation contents with capture.py run by that virtualenv's Python. Never imports Mason.

Usage:
    python3 tests/scenarios/gen_dbt_expected.py [-k NAME ...] [--venv DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.e2e.gen_dbt_expectations import DEFAULT_VENV, ensure_venv, log  # noqa: E402
from tests.scenarios import harness  # noqa: E402


def versions(venv: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json;"
            "print(json.dumps({p: m.version(p) for p in ['dbt-core', 'dbt-duckdb', 'duckdb']}))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def dbt_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PARTIAL_PARSE": "false", "TZ": "UTC",
                "NO_COLOR": "1"})
    return env


def make_invoke(dbt: Path, verbose: bool) -> harness.Invoke:
    def invoke(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
        proc = subprocess.run([str(dbt), *argv, "--profiles-dir", str(cwd), "--project-dir", str(cwd)],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        log(f"  dbt {' '.join(argv)} -> {proc.returncode}")
        if verbose or proc.returncode:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        return proc.returncode

    return invoke


def make_capture(python: Path) -> harness.Capture:
    def capture(db_path: str, spec: dict[str, Any]) -> dict[str, Any]:
        if not Path(db_path).exists():
            return {name: None for name in spec["relations"]}
        proc = subprocess.run([str(python), str(HERE / "capture.py"), db_path, json.dumps(spec)],
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)  # type: ignore[no-any-return]

    return capture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="only", action="append", help="only scenarios whose name contains this")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects (paths are logged)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print dbt's output for every step")
    args = parser.parse_args()

    dbt = ensure_venv(args.venv)
    found = versions(args.venv)
    invoke, capture = make_invoke(dbt, args.verbose), make_capture(args.venv / "bin" / "python")
    harness.EXPECTED_DIR.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mason-scenarios-"))
    for scenario in harness.all_scenarios():
        if args.only and not any(k in scenario.name for k in args.only):
            continue
        log(f"{scenario.name} in {work / scenario.name}")
        steps = harness.run_scenario(scenario, work / scenario.name, invoke, capture, dbt_env())
        record = {"scenario": scenario.name, "doc": scenario.doc, "generated_by": found, "steps": steps}
        harness.expected_path(scenario.name).write_text(harness.dumps(record) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
