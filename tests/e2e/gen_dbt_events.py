#!/usr/bin/env python3
"""Record the JSON log events dbt-core 1.11 writes for examples/jaffle_shop, as the shapes orchestrators parse, into
tests/e2e/expected/dbt_events.json (read by tests/e2e/test_json_events.py).

Runs the real dbt-core (1.11, dbt-duckdb) from a private virtualenv outside the repository (default
~/.cache/mason-ref/dbt111, made on first use) with `--log-format json --log-level debug`, on a copy of the example
project as it is (`clean`) and with a model that errors and a test that fails (`broken`, see `break_project`).
It never runs Mason. Recorded per event name: its code, levels, the `info` keys, the `data` keys every
occurrence has and those only some have, the node_info and node_relation keys; and per scenario each node's result
event, status and level.

Usage: python3 tests/e2e/gen_dbt_events.py [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROJECT = ROOT / "examples" / "jaffle_shop"
OUT = HERE / "expected" / "dbt_events.json"
DEFAULT_VENV = Path(os.path.expanduser("~/.cache/mason-ref/dbt111"))
# the events a node's result is reported with, and the events that name no node but close a run
RESULT_EVENTS = ("LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult", "LogNodeNoOpResult",
                 "SkippingDetails", "LogHookEndLine")


def break_project(project: Path) -> None:
    """A model that errors (a missing table) and a singular test that fails, each with nothing downstream but
    tests, so dbt reports an error, a failure and skips."""
    settings = project / "models" / "reporting" / "report_settings.sql"
    settings.write_text(settings.read_text().rstrip() + "\n\nfrom no_such_table_anywhere\n")
    (project / "tests" / "assert_always_fails.sql").write_text(
        "select 1 as failing_row from {{ ref('fct_orders') }} limit 2\n")


def copy_project(dest: Path, broken: bool) -> Path:
    shutil.copytree(PROJECT, dest, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    if broken:
        break_project(dest)
    return dest


def read_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def shapes(events: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in events:
        name = e["info"]["name"]
        s = out.setdefault(name, {"code": e["info"]["code"], "levels": set(), "info": sorted(e["info"]),
                                  "data_always": None, "data_sometimes": set(), "node_info": None,
                                  "node_relation": None})
        s["levels"].add(e["info"]["level"])
        keys = set(e["data"])
        s["data_always"] = keys if s["data_always"] is None else s["data_always"] & keys
        s["data_sometimes"] |= keys
        ni = e["data"].get("node_info")
        if ni:
            s["node_info"] = sorted(ni)
            s["node_relation"] = sorted(ni["node_relation"])
    for s in out.values():
        s["levels"] = sorted(s["levels"])
        s["data_sometimes"] = sorted(s["data_sometimes"] - s["data_always"])
        s["data_always"] = sorted(s["data_always"])
    return out


def results(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """unique_id -> [result event, node_status, level]."""
    return {e["data"]["node_info"]["unique_id"]: [e["info"]["name"], e["data"]["node_info"]["node_status"],
                                                  e["info"]["level"]]
            for e in events if e["info"]["name"] in RESULT_EVENTS and "node_info" in e["data"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()
    dbt = args.venv / "bin" / "dbt"
    if not dbt.exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.venv)], check=True)
        subprocess.run([str(args.venv / "bin" / "pip"), "install", "dbt-core==1.11.*", "dbt-duckdb"], check=True)
    found = re.search(r"installed: (\S+)", subprocess.run([str(dbt), "--version"], capture_output=True,
                                                          text=True).stdout)
    version = found.group(1) if found else "?"
    recorded: dict[str, Any] = {"source": f"dbt-core {version} on examples/jaffle_shop, "
                                          "`dbt build --log-format json --log-level debug`; tests/e2e/gen_dbt_events.py",
                                "scenarios": {}}
    every: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in ("clean", "broken"):
            project = copy_project(Path(tmp) / scenario, scenario == "broken")
            env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
            env["SHOP_DUCKDB_PATH"] = str(project / "shop.duckdb")
            run = subprocess.run([str(dbt), "build", "--log-format", "json", "--log-level", "debug",
                                  "--profiles-dir", "."], cwd=project, env=env, capture_output=True, text=True)
            events = read_events(run.stdout)
            every += events
            recorded["scenarios"][scenario] = {"exit_code": run.returncode, "results": results(events)}
    recorded["events"] = shapes(every)
    OUT.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(recorded['events'])} event names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
