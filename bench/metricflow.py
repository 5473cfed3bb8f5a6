#!/usr/bin/env python3
"""Mason's semantic layer beside MetricFlow's `mf query` on the same project and data: the same answers, and
how long each takes from process start to rows.

    .venv/bin/python bench/metricflow.py --mf /path/to/venv/bin/mf [--project examples/jaffle_shop|types] [--runs 3]

MetricFlow is not one of Mason's dependencies: install it into a venv of its own, pinned to the dbt-core the
reference catalogue describes (newer dbt-metricflow pulls a dbt-core that downloads a binary from GitHub):

    python3 -m venv /tmp/mf && /tmp/mf/bin/pip install 'dbt-core==1.11.*' 'dbt-duckdb==1.11.*' dbt-metricflow

The project is copied to a temporary folder and built there by Mason; `dbt parse` (from the MetricFlow venv)
writes the semantic manifest `mf` reads. Each query runs under `mf query --csv` and `mason sl query --csv`
(one at a time: MetricFlow opens the DuckDB file for writing); rows are compared as sets, numbers to 6
places, dates by their day. Prints one line per query and the median times.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [  # (metrics, group by, where) for examples/jaffle_shop
    ("order_total,order_count", "metric_time__month", ""),
    ("order_total,average_order_value", "order_id__status", ""),
    ("completed_order_total,order_total", "metric_time__week", ""),
    ("order_total,lifetime_value", "customer__first_name", ""),
    ("order_total_to_date", "metric_time__month", ""),
    ("order_total_7d", "metric_time__day", ""),
    ("order_total_growth", "metric_time__month", ""),
    ("order_total", "metric_time__day", "{{ Dimension('order_id__status') }} = 'completed'"),
]
TYPES_QUERIES = [  # for --project types: every metric type of tests/semantic/types_project.py
    ("revenue_all_time,revenue_7d", "metric_time__month", ""),
    ("revenue_7d", "metric_time__day,customer__region", ""),
    ("revenue_mtd", "metric_time__week,customer__region", ""),
    ("revenue_all_time", "customer__region", ""),
    ("revenue,revenue_prev_month", "metric_time__month", ""),
    ("revenue_wow", "metric_time__day", ""),
    ("revenue_wow", "metric_time__month", ""),
    ("revenue_on_month_start", "metric_time__day", ""),
    ("visit_to_signup,visit_signups", "metric_time__month,visit__referrer", ""),
    ("visit_to_signup", "", ""),
    ("total_balance", "metric_time__month", ""),
    ("total_balance,opening_balance", "customer__region", ""),
    ("revenue,orders", "customer__country__continent", ""),
    ("big_customer_revenue", "customer__region", ""),
    ("orders", "metric_time__month", "{{ Metric('revenue', group_by=['customer']) }} > 25"),
    ("revenue_7d", "metric_time__day", "{{ TimeDimension('metric_time', 'day') }} >= '2024-03-01'"),
]
TYPES_CONFIG = {
    "dbt_project.yml": "name: types\nversion: '1.0'\nconfig-version: 2\nprofile: types\n"
                       "models:\n  types:\n    +materialized: table\n",
    "profiles.yml": "types:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: types.duckdb\n"
                    "      schema: main\n",
}


def _write_types_project(folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.semantic.types_project import FILES

    for rel, text in {**FILES, **TYPES_CONFIG}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)


def _norm(value: str) -> object:
    if value == "":
        return None
    try:
        return round(float(value), 6)
    except ValueError:
        pass
    if len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return value


def _rows(path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0] if rows else []
    return header, sorted((tuple(_norm(v) for v in r) for r in rows[1:]), key=repr)


def _by_name(header: list[str], rows: list[tuple[object, ...]], order: list[str]) -> list[tuple[object, ...]]:
    """Columns in `order` (MetricFlow orders its group-by columns its own way)."""
    index = [header.index(name) for name in order]
    return sorted((tuple(row[i] for i in index) for row in rows), key=repr)


def _timed(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mf", required=True, help="the mf command of a venv with dbt-metricflow")
    ap.add_argument("--project", default=str(ROOT / "examples" / "jaffle_shop"),
                    help="a project folder, or `types` for the test project of every metric type")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    mf = Path(args.mf)
    dbt = mf.parent / "dbt"
    mason = Path(sys.executable).parent / "mason"
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        queries = TYPES_QUERIES if args.project == "types" else QUERIES
        if args.project == "types":
            _write_types_project(project)
        else:
            shutil.copytree(args.project, project,
                            ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", ".mason"))
        _timed([str(mason), "build", "-q"], project, env)
        _timed([str(dbt), "parse", "--profiles-dir", "."], project, env)
        mf_env = {**env, "DBT_PROFILES_DIR": str(project)}
        same, times_mf, times_mason = 0, [], []
        for i, (metrics, group_by, where) in enumerate(queries):
            common = ["--metrics", metrics] + (["--group-by", group_by] if group_by else []) + (
                ["--where", where] if where else [])
            mf_csv, mason_csv = project / f"mf_{i}.csv", project / f"mason_{i}.csv"
            t_mf = [_timed([str(mf), "query", *common, "--csv", str(mf_csv)], project, mf_env)
                    for _ in range(args.runs)]
            t_mason = [_timed([str(mason), "sl", "query", *common, "--csv", str(mason_csv)], project, env)
                       for _ in range(args.runs)]
            times_mf.append(statistics.median(t_mf))
            times_mason.append(statistics.median(t_mason))
            mason_header, mason_rows = _rows(mason_csv)
            if mf_csv.exists():
                mf_header, mf_rows = _rows(mf_csv)
                mf_rows = _by_name(mf_header, mf_rows, mason_header) if set(mf_header) == set(mason_header) else mf_rows
            else:  # mf writes no file for an empty result
                mf_rows = []
            verdict = "same" if mf_rows == mason_rows else "DIFFERENT"
            same += verdict == "same"
            print(f"{verdict:9} {len(mason_rows):4} rows  mf {times_mf[-1]:.2f} s  mason {times_mason[-1]:.2f} s  "
                  f"{metrics} by {group_by or '-'}{' where ' + where if where else ''}")
            if verdict != "same":
                print("    mf:   ", mf_rows[:5], "\n    mason:", mason_rows[:5])
        print(f"{same}/{len(queries)} queries give MetricFlow's rows; median per query: mf "
              f"{statistics.median(times_mf):.2f} s, mason {statistics.median(times_mason):.2f} s")


if __name__ == "__main__":
    main()
