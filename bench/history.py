#!/usr/bin/env python3
"""What the run history costs: `mason run` of a generated project with the history on (the default) against
the same run with it off (MASON_HISTORY=0), on a fresh DuckDB file each time (so every "on" run also creates
the schema and tables). The target: history writing adds at most 2 % to a 1,000-model run.

    .venv/bin/python bench/history.py [--models 1000] [--reps 5] [--threads 4]

Prints the median wall-clock time of each, the overhead, and the history write itself as Mason logs it
(logs/dbt.log: "history: N rows into mason_monitoring in X ms": the failing-row samples, the git lookup and the
inserts). Runs alternate on/off so drift in the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, load_raw  # noqa: E402

_WRITE = re.compile(r"history: (\d+) rows into \S+ in (\d+) ms")
_TOTAL = re.compile(r"monitoring \(history, alerts\) took (\d+) ms")


def _env(db: Path, history: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    env.update(BENCH_DUCKDB_PATH=str(db), MASON_NO_PROGRESS="1", PYTHONPATH=str(ROOT / "src"))
    if not history:
        env["MASON_HISTORY"] = "0"
    return env


def _mason(project: Path, args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mason", *args], cwd=project, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"mason {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench"
        generate(project, args.models)
        dbs = Path(tmp) / "db"
        dbs.mkdir()
        template = dbs / "template.duckdb"
        load_raw(template, project)
        seeded = dbs / "bench.duckdb"  # the file's stem is the database name the project expects
        shutil.copyfile(template, seeded)
        _mason(project, ["seed"], _env(seeded, False))
        shutil.copyfile(seeded, template)
        run = ["run", "--threads", str(args.threads)]
        _mason(project, ["parse"], _env(seeded, False))  # warm: both sides use the partial-parse cache
        times: dict[bool, list[float]] = {True: [], False: []}
        writes: list[tuple[int, int]] = []
        totals: list[int] = []
        log = project / "logs" / "dbt.log"
        for rep in range(args.reps):
            for history in ((True, False) if rep % 2 == 0 else (False, True)):
                shutil.copyfile(template, seeded)
                Path(f"{seeded}.wal").unlink(missing_ok=True)
                log.unlink(missing_ok=True)
                times[history].append(_mason(project, run, _env(seeded, history)))
                if history:
                    found = _WRITE.findall(log.read_text())
                    if not found:
                        sys.exit("the history was not written (no 'history:' line in logs/dbt.log)")
                    writes.append((int(found[-1][0]), int(found[-1][1])))
                    totals.append(int(_TOTAL.findall(log.read_text())[-1]))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        write_ms = statistics.median(ms for _, ms in writes)
        print(f"{args.models} models, mason run --threads {args.threads}, {args.reps} runs each (fresh DuckDB file)")
        print(f"  history off: median {off:.3f} s (min {min(times[False]):.3f})")
        print(f"  history on:  median {on:.3f} s (min {min(times[True]):.3f})")
        print(f"  all runs: on {[round(t, 2) for t in times[True]]}, off {[round(t, 2) for t in times[False]]}")
        print(f"  wall-clock overhead: {(on - off) / off * 100:+.1f} % (noise included)")
        print(f"  history write as logged: median {write_ms:.0f} ms for {writes[-1][0]} rows = "
              f"{write_ms / 1000 / off * 100:.1f} % of the run")
        total_ms = statistics.median(totals)
        print(f"  all of it (imports, git lookup, write) as logged: median {total_ms:.0f} ms = "
              f"{total_ms / 1000 / off * 100:.1f} % of the run (target <= 2 %)")


if __name__ == "__main__":
    main()
