"""`make demo`: build the example project from nothing on DuckDB and show a few rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "jaffle_shop"
MASON = [sys.executable, "-m", "mason"]


def run(*args: str) -> None:
    print(f"\n$ mason {' '.join(args)}", flush=True)
    code = subprocess.call([*MASON, *args], cwd=PROJECT)
    if code != 0:
        sys.exit(code)


def main() -> None:
    for stale in ("target", "logs"):
        shutil.rmtree(PROJECT / stale, ignore_errors=True)
    for db in PROJECT.glob("jaffle_shop.duckdb*"):
        db.unlink()
    run("build")
    run("show", "--select", "customers", "--limit", "5")
    run("show", "--inline", "select status, count(*) as orders from {{ ref('orders') }} group by 1 order by 2 desc")
    run("sl", "query", "--metrics", "order_total,order_total_to_date,order_total_growth,average_order_value",
        "--group-by", "metric_time__month", "--order-by", "metric_time__month", "--limit", "4")
    print(
        "\nThe demo project is in examples/jaffle_shop (DuckDB file jaffle_shop.duckdb).\n"
        "Next: cd examples/jaffle_shop, then try `mason ls -s +customers`, `mason compile -s fct_orders`,\n"
        "`mason test`, `mason docs generate`; artifacts are in target/ (manifest.json, run_results.json)."
    )


if __name__ == "__main__":
    main()
