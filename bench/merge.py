"""Incremental merge speed: Mason merging 1M changed rows into a 10M-row table on DuckDB, against the
equivalent hand-written MERGE statement alone (the floor).

    .venv/bin/python bench/merge.py [--rows 10000000] [--changes 1000000] [--reps 3]

Half of the changes update existing ids, half insert new ones. Each repetition starts from the same
10M-row table (a copy of a prepared file). Prints one JSON line with the medians and their ratio
(target: Mason <= 1.5x the floor).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = """{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}
select id, v, ts from {{ source('raw', 'changes') }}
"""


def _prepare(db: Path, rows: int, changes: int) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    con.execute(f"create table main.big as select range as id, 'v' || range as v, "
                f"timestamp '2024-01-01' + to_seconds(range) as ts from range({rows})")
    half = changes // 2
    con.execute("create schema raw")
    con.execute(f"create table raw.changes as select (range * 7) % {rows} as id, 'u' || range as v, "
                f"timestamp '2025-01-01' + to_seconds(range) as ts from range({half}) "
                f"union all select {rows} + range as id, 'n' || range, timestamp '2025-06-01' from range({changes - half})")
    con.close()


def _project(root: Path, db: Path) -> None:
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: merge_bench\nversion: '1'\nconfig-version: 2\nprofile: merge_bench\n")
    (root / "profiles.yml").write_text(f"merge_bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                                       f"      path: '{db}'\n      schema: main\n      threads: 1\n")
    (root / "models" / "big.sql").write_text(MODEL)
    (root / "models" / "sources.yml").write_text("version: 2\nsources:\n  - name: raw\n    schema: raw\n"
                                                 "    tables:\n      - name: changes\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--changes", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    import duckdb

    with tempfile.TemporaryDirectory(prefix="mason-merge-bench-") as tmp:
        work = Path(tmp)
        template = work / "template.duckdb"
        _prepare(template, args.rows, args.changes)
        root = work / "project"
        db = work / "bench.duckdb"
        _project(root, db)
        mason = str(Path(sys.executable).with_name("mason"))
        subprocess.run([mason, "parse", "-q"], cwd=root, check=True)
        floor, ours = [], []
        for _ in range(args.reps):
            shutil.copy(template, db)
            con = duckdb.connect(str(db))
            t0 = time.perf_counter()
            con.execute("merge into main.big as t using raw.changes as s on (s.id = t.id) "
                        "when matched then update set v = s.v, ts = s.ts "
                        "when not matched then insert (id, v, ts) values (s.id, s.v, s.ts)")
            con.close()  # includes the checkpoint, as Mason's run does
            floor.append(time.perf_counter() - t0)
            shutil.copy(template, db)
            t0 = time.perf_counter()
            subprocess.run([mason, "run", "-q"], cwd=root, check=True)
            ours.append(time.perf_counter() - t0)
            con = duckdb.connect(str(db), read_only=True)
            count = con.execute("select count(*) from main.big").fetchone()[0]
            con.close()
            assert count == args.rows + args.changes - args.changes // 2, count
        result = {"rows": args.rows, "changes": args.changes, "floor_median_s": round(statistics.median(floor), 3),
                  "mason_median_s": round(statistics.median(ours), 3)}
        result["ratio"] = round(result["mason_median_s"] / result["floor_median_s"], 2)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
