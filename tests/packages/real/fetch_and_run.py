#!/usr/bin/env python3
"""Run a real package's integration-test project with dbt-core and with Mason; compare node by node.

The package sources never enter this repository. Bring a checkout here first (for instance with the search
tool's `fetch`, then `git archive <commit> | tar -x -C DIR`), then:

    python3 tests/packages/real/fetch_and_run.py DIR/integration_tests \
        --dbt ~/.cache/mason-ref/dbt111/bin/dbt --mason .venv/bin/mason

Each tool gets its own copy of the checkout (the suite's `packages.yml` usually installs the package with
`local: ../`), a DuckDB profile named after the suite's `profile:`, then runs `deps` and `build --full-refresh`
(or the commands given with --command). The statuses in both tools' run_results.json are compared by
unique_id; the script prints both tools' counts and every node whose status differs, and exits 1 on any
difference. `--dbt-results FILE` reuses a run_results.json recorded earlier instead of running dbt-core.
`--known NODE=REASON` (repeatable) accepts a listed difference (docs/compatibility.md gives the reasons).
`--package PATH` (repeatable) installs a checkout of a hub package the suite depends on (there is no hub
here): `dbt_packages/` is then laid out as `deps` would leave it (the suite's `local:` packages and these)
and `deps` is not run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml


def project_name(folder: Path) -> str:
    return str(yaml.safe_load((folder / "dbt_project.yml").read_text())["name"])


def profile_name(suite: Path) -> str:
    project = yaml.safe_load((suite / "dbt_project.yml").read_text())
    return str(project.get("profile") or project["name"])


def prepare(suite: Path, work: Path, packages: list[Path]) -> Path:
    """A copy of the package checkout holding the suite; returns the suite inside the copy."""
    root = suite.parent
    copy = work / root.name
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(
        "target", "dbt_packages", "logs", "*.duckdb", "*.duckdb.wal", ".git"))
    inner = copy / suite.name
    if packages:
        lay_packages(inner, packages)
    (work / "profiles.yml").write_text(yaml.safe_dump({profile_name(suite): {
        "target": "duckdb",
        "outputs": {"duckdb": {"type": "duckdb", "path": str(work / "warehouse.duckdb"),
                               "schema": "main", "threads": 2}},
    }}))
    return inner


def lay_packages(suite: Path, extra: list[Path]) -> None:
    """dbt_packages/ as `deps` leaves it: each package under its project name."""
    spec = yaml.safe_load((suite / "packages.yml").read_text()) if (suite / "packages.yml").exists() else {}
    local = [(suite / p["local"]).resolve() for p in (spec or {}).get("packages") or [] if "local" in p]
    target = suite / "dbt_packages"
    target.mkdir(exist_ok=True)
    for path in local:
        (target / project_name(path)).symlink_to(path)
    for path in extra:
        shutil.copytree(path, target / project_name(path), symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "integration_tests"))



def run_tool(exe: str, suite: Path, work: Path, commands: list[list[str]]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env["DBT_PROFILES_DIR"] = str(work)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    log = work / "output.log"
    with log.open("w") as out:
        for command in commands:
            out.write(f"$ {Path(exe).name} {' '.join(command)}\n")
            out.flush()
            subprocess.run([exe, *command], cwd=suite, env=env, stdout=out, stderr=subprocess.STDOUT)
    results = suite / "target" / "run_results.json"
    if not results.exists():
        sys.exit(f"{exe} wrote no run_results.json; its output is in {log}")
    return dict(json.loads(results.read_text()))


def statuses(results: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {r["unique_id"]: (r["status"], (r.get("message") or "").strip().splitlines()[0][:160]
                             if r.get("message") else "") for r in results["results"]}


def counts(found: dict[str, tuple[str, str]]) -> str:
    tally = collections.Counter(status for status, _ in found.values())
    return ", ".join(f"{k}={v}" for k, v in sorted(tally.items())) + f", total={len(found)}"


def unit_test_groups(found: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Each model's unit-test statuses, sorted: dbt runs a model's unit tests one at a time in an order
    that changes between its runs, and an error skips those not yet run, so which one errors varies."""
    groups: dict[str, list[str]] = {}
    for uid, (status, _) in found.items():
        if uid.startswith("unit_test."):
            groups.setdefault(uid.rsplit(".", 1)[0], []).append(status)
    return {k: sorted(v) for k, v in groups.items()}


def compare(dbt: dict[str, tuple[str, str]], mason: dict[str, tuple[str, str]],
            known: dict[str, str]) -> list[str]:
    lines = []
    same_groups = {k for k, v in unit_test_groups(dbt).items() if unit_test_groups(mason).get(k) == v}
    for uid in sorted(set(dbt) | set(mason)):
        if uid.startswith("unit_test.") and uid.rsplit(".", 1)[0] in same_groups:
            continue
        want = dbt.get(uid, ("(absent)", ""))
        got = mason.get(uid, ("(absent)", ""))
        if want[0] != got[0]:
            note = f"  [known: {known[uid]}]" if uid in known else ""
            lines.append(f"{uid}: dbt-core {want[0]}, Mason {got[0]}{note}\n"
                         f"    dbt-core: {want[1]}\n    Mason:    {got[1]}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", type=Path, help="the integration-test project inside a package checkout")
    parser.add_argument("--dbt", help="the dbt executable of a dbt-core 1.11 + dbt-duckdb virtualenv")
    parser.add_argument("--dbt-results", type=Path, help="a run_results.json dbt-core wrote on this checkout")
    parser.add_argument("--mason", default=shutil.which("mason") or "mason")
    parser.add_argument("--command", action="append", help="a command to run instead of deps + build")
    parser.add_argument("--known", action="append", default=[], help="NODE=REASON: an accepted difference")
    parser.add_argument("--package", action="append", type=Path, default=[],
                        help="a hub package's checkout to install instead of running deps")
    parser.add_argument("--keep", type=Path, help="work here and keep the copies")
    args = parser.parse_args()
    suite = args.suite.resolve()
    args.mason = str(Path(args.mason).resolve()) if os.sep in args.mason else args.mason
    args.dbt = str(Path(args.dbt).resolve()) if args.dbt and os.sep in args.dbt else args.dbt
    commands = [c.split() for c in args.command] if args.command else [["deps"], ["build", "--full-refresh"]]
    if args.package and not args.command:
        commands = commands[1:]
    packages = [p.resolve() for p in args.package]
    known = dict(item.split("=", 1) for item in args.known)
    if not args.dbt and not args.dbt_results:
        parser.error("give --dbt or --dbt-results")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        shutil.rmtree(base, ignore_errors=True)
        if args.dbt_results:
            dbt_found = statuses(json.loads(args.dbt_results.read_text()))
        else:
            (base / "dbt").mkdir(parents=True)
            dbt_found = statuses(run_tool(args.dbt, prepare(suite, base / "dbt", packages), base / "dbt", commands))
        (base / "mason").mkdir(parents=True)
        mason_found = statuses(run_tool(args.mason, prepare(suite, base / "mason", packages), base / "mason", commands))
    print(f"dbt-core: {counts(dbt_found)}")
    print(f"Mason:    {counts(mason_found)}")
    differences = compare(dbt_found, mason_found, known)
    unexplained = [d for d in differences if "[known:" not in d]
    print(f"{len(differences)} node(s) differ, {len(unexplained)} not listed as known")
    for line in differences:
        print(line)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
