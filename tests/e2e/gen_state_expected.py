"""Record dbt-core's answers to the slim-CI selection scenarios (tests/e2e/state_scenarios.py) into
tests/e2e/expected/state.json. Runs the real dbt-core 1.11 + dbt-duckdb from a private virtualenv (created on
first use; never imported by Mason or its tests):

    python3 tests/e2e/gen_state_expected.py [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.e2e.gen_dbt_expectations import DEFAULT_VENV, ensure_venv, versions  # noqa: E402
from tests.e2e.state_scenarios import BASE, SCENARIOS, SELECTORS, write_files  # noqa: E402


def ls(dbt: Path, project: Path, target: str, selector: str, state: Path, extra: tuple[str, ...]) -> list[str]:
    out = subprocess.run([str(dbt), "ls", "--profiles-dir", ".", "-t", target, "-s", selector, "--state",
                          str(state), "-q", *extra], cwd=project, capture_output=True, text=True, check=True)
    return sorted(line.strip() for line in out.stdout.splitlines() if line.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = ap.parse_args()
    dbt = ensure_venv(args.venv)
    results: dict[str, dict[str, list[str]]] = {}
    for name, (target, edits, extra) in SCENARIOS.items():
        with tempfile.TemporaryDirectory() as tmp:
            project, state = Path(tmp) / "st", Path(tmp) / "state"
            write_files(project, dict(BASE))
            subprocess.run([str(dbt), "parse", "--profiles-dir", ".", "-q"], cwd=project, check=True)
            state.mkdir()
            shutil.copy(project / "target" / "manifest.json", state / "manifest.json")
            write_files(project, edits)
            results[name] = {sel: ls(dbt, project, target, sel, state, extra) for sel in SELECTORS}
            print(name, results[name]["state:modified"], file=sys.stderr)
    out = {"versions": versions(args.venv), "results": results}
    (HERE / "expected").mkdir(exist_ok=True)
    (HERE / "expected" / "state.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
