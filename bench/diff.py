#!/usr/bin/env python3
"""`mason diff` speed on DuckDB: two builds of a wide-ish table (1M rows by default) in one warehouse file,
production in schema `analytics`, a pull request in `pr_1` (0.1% of amounts changed, 0.02% of rows gone,
100 new), diffed by primary key and as whole rows (no key: DuckDB hashes each row). Prints the wall time of `mason diff` (process
start to exit code) and, as a floor, the time DuckDB takes for the single full-outer-join count query alone.

    .venv/bin/python bench/diff.py [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = """\
{{{{ config(materialized='table'{key}) }}}}
select i as id, i % 1000 as customer_id,
  ((i * 7919) % 100000) / 100.0 {bump} as amount,
  case when i % 3 = 0 then 'placed' when i % 3 = 1 then 'shipped' else null end as status,
  date '2024-01-01' + cast(i % 365 as integer) as ordered_on,
  md5(cast(i as varchar)) as note
from range({{{{ var('rows') }}}}) t(i)
{{% if var('dev', false) %}} where i % 5000 <> 7
union all select i + 100000000, 1, 1.0, 'new', date '2024-01-01', 'x' from range(100) t(i) {{% endif %}}
"""
BUMP = "+ case when {{ var('dev', false) }} and i % 1000 = 0 then 1 else 0 end"


def mason(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mason", *args], cwd=root, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("DBT_")})
    return time.perf_counter() - start, proc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mason-diff-bench-"))
    try:
        (root / "models").mkdir()
        (root / "dbt_project.yml").write_text("name: bench\nversion: '1'\nconfig-version: 2\nprofile: bench\n")
        (root / "profiles.yml").write_text(
            "bench:\n  target: prod\n  outputs:\n"
            "    prod: {type: duckdb, path: wh.duckdb, schema: analytics, threads: 1}\n"
            "    dev: {type: duckdb, path: wh.duckdb, schema: pr_1, threads: 1}\n")
        (root / "models" / "orders.sql").write_text(MODEL.format(key=", unique_key='id'", bump=BUMP))
        (root / "models" / "orders_nokey.sql").write_text(MODEL.format(key="", bump=BUMP))
        rows = json.dumps({"rows": args.rows})
        built, proc = mason(root, "run", "--vars", rows)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (root / "state").mkdir()
        shutil.copy(root / "target" / "manifest.json", root / "state")
        _, proc = mason(root, "run", "--target", "dev", "--vars", json.dumps({"rows": args.rows, "dev": True}))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        print(f"{args.rows:,} rows x 6 columns per table, two tables per side (built in {built:.1f}s)")
        for model, label in (("orders", "by primary key"), ("orders_nokey", "whole rows (row hashes)")):
            times = []
            for _ in range(args.runs):
                took, proc = mason(root, "diff", "--target", "dev", "--state", "state", "-s", model,
                                   "--output", "json", "--vars", rows)
                assert proc.returncode == 1, proc.stdout + proc.stderr
                times.append(took)
            found = json.loads(proc.stdout)["models"][0]["rows"]
            print(f"mason diff {label:27s} median {statistics.median(times):.2f}s  (best {min(times):.2f}s)  "
                  f"only in prod {found['only_in_prod']}, only in dev {found['only_in_dev']}, "
                  f"changed {found['changed']}")
        floor(root, args.runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def floor(root: Path, runs: int) -> None:
    """The one aggregate query of a by-key diff, run by DuckDB alone (no Mason, no parse, no samples)."""
    import duckdb

    cols = ["customer_id", "amount", "status", "ordered_on", "note"]
    per = ", ".join(f"sum(case when p.x = 1 and d.x = 1 and not (p.{c} is not distinct from d.{c}) then 1 else 0 end)"
                    for c in cols)
    sql = (f"select count(*), {per} from (select 1 as x, * from analytics.orders) p "
           "full outer join (select 1 as x, * from pr_1.orders) d on p.id = d.id")
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    con.close()
    print(f"floor: the by-key count query in DuckDB alone    median {statistics.median(times):.2f}s")


if __name__ == "__main__":
    main()
