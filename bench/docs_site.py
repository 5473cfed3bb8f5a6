#!/usr/bin/env python3
"""How fast the documentation site opens: bench/generate.py's project (10,000 models by default) is seeded, run
(so the catalog has columns and the run history has a run) and documented with `mason docs generate`; then
headless Chromium opens target/index.html from file:// several times. The target: the site for 10,000 models
loads in at most 3 s.

    .venv/bin/python bench/docs_site.py [--models 10000] [--reps 5] [--no-build] [--keep DIR]

"Loaded" is the moment the app has parsed the data and drawn the node list and the first page
(window.__masonReady, milliseconds since the navigation started, as the page measures it). Also printed: the
whole navigation as the driver sees it, the size of index.html, a search for a model until its row shows,
and opening that model's page with its lineage graph. Needs Chromium (/usr/bin/chromium or $CHROMIUM) and
playwright (the dev extra).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from generate import generate, load_raw  # noqa: E402

TARGET_SECONDS = 3.0


def _mason(project: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mason", *args], cwd=project, env=env, capture_output=True,
                          text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"mason {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def measure(index: Path, reps: int, model: str) -> dict[str, list[float]]:
    from tests.docsite.browser import Browser

    out: dict[str, list[float]] = {"ready_ms": [], "navigation_s": [], "search_ms": [], "node_page_ms": []}
    with Browser() as browser:
        for _ in range(reps):
            page = browser.page()
            start = time.perf_counter()
            page.goto(index.as_uri())
            page.wait_for_function("window.__masonReady !== undefined", timeout=60_000)
            out["navigation_s"].append(time.perf_counter() - start)
            out["ready_ms"].append(float(page.evaluate("window.__masonReady")))
            t0 = time.perf_counter()
            page.fill("#q", model)
            page.wait_for_selector(f'#rows a[data-id="model.bench.{model}"]')
            out["search_ms"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            page.click(f'#rows a[data-id="model.bench.{model}"]')
            page.wait_for_selector("#graph svg g.ln.focus")
            out["node_page_ms"].append((time.perf_counter() - t0) * 1000)
            browser.check_errors()
            page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--no-build", action="store_true", help="document without seeding and running first")
    ap.add_argument("--keep", type=Path, default=None, help="build the project in this folder and keep it")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mason-docs-bench-"))
    base = args.keep or tmp
    try:
        project = base / "bench"
        if project.exists():
            shutil.rmtree(project)
        generate(project, args.models)
        db = base / "bench.duckdb"
        db.unlink(missing_ok=True)
        load_raw(db, project)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
        env.update(BENCH_DUCKDB_PATH=str(db), MASON_NO_PROGRESS="1", PYTHONPATH=str(ROOT / "src"))
        if not args.no_build:
            print(f"seed + run of {args.models} models: {_mason(project, env, 'seed') + _mason(project, env, 'run', '--threads', '4'):.1f} s")
        took = _mason(project, env, "docs", "generate")
        index = project / "target" / "index.html"
        print(f"mason docs generate: {took:.1f} s; index.html {index.stat().st_size / 1e6:.1f} MB")
        model = next(p.stem for p in sorted((project / "models" / "marts").rglob("fct_*.sql")))
        got = measure(index, args.reps, model)
        ready = statistics.median(got["ready_ms"]) / 1000
        print(f"site loaded (data parsed, list and first page drawn): median {ready:.2f} s "
              f"(runs: {', '.join(f'{v / 1000:.2f}' for v in got['ready_ms'])})")
        print(f"navigation as the driver saw it: median {statistics.median(got['navigation_s']):.2f} s")
        print(f"search '{model}' until its row shows: median {statistics.median(got['search_ms']):.0f} ms")
        print(f"open its page with the lineage graph: median {statistics.median(got['node_page_ms']):.0f} ms")
        verdict = "met" if ready <= TARGET_SECONDS else "NOT met"
        print(f"target: {args.models} models load in <= {TARGET_SECONDS:.0f} s: {verdict}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
