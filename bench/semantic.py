#!/usr/bin/env python3
"""Semantic-layer speed: compiling metric queries to SQL at a project with 500 metrics (target: p50 ≤ 10 ms),
and `mason sl query` end to end on the example project, process start to rows (target ≤ 0.5 s).

    .venv/bin/python bench/semantic.py [--metrics 500] [--queries 200] [--runs 5]

The compile benchmark builds a semantic graph of its own (25 semantic models of 10 measures, joined through
a customer entity; simple, ratio, derived, offset and cumulative metrics) and times random queries (2-4
metrics, metric_time at a grain and 0-1 more group-bys, a filter half the time). The end-to-end one builds examples/jaffle_shop in a temporary copy first.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mason.semantic.graph import (
    Dimension,
    Entity,
    Measure,
    Metric,
    MetricInput,
    SemanticGraph,
    SemanticModel,
    TimeSpine,
)
from mason.semantic.sql import Query, compile_query

ROOT = Path(__file__).resolve().parents[1]


def synthetic_graph(n_metrics: int) -> SemanticGraph:
    graph = SemanticGraph()
    graph.time_spine = TimeSpine('"db"."main"."time_spine"', "date_day")
    graph.models["customers"] = SemanticModel(
        "customers", '"db"."main"."customers"', (Entity("customer", "primary", "customer_id"),),
        (Dimension("region", "categorical", "region"), Dimension("segment", "categorical", "segment")), (), None)
    per_model = 10
    simple = []
    for m in range(max(1, n_metrics // 2 // per_model)):
        measures = tuple(Measure(f"m{m}_{i}", ("sum", "count", "average", "count_distinct")[i % 4], f"c{i}", "day_at")
                         for i in range(per_model))
        graph.models[f"facts_{m}"] = SemanticModel(
            f"facts_{m}", f'"db"."main"."facts_{m}"',
            (Entity(f"fact_{m}", "primary", "id"), Entity("customer", "foreign", "customer_id")),
            (Dimension("day_at", "time", "day_at", "day"), Dimension("status", "categorical", "status")),
            measures, "day_at")
        for measure in measures:
            graph.measure_model[measure.name] = f"facts_{m}"
            graph.metrics[measure.name] = Metric(measure.name, "simple", measure.name, "", measure=measure.name)
            simple.append(measure.name)
    rng = random.Random(7)
    while len(graph.metrics) < n_metrics:
        a, b = rng.sample(simple, 2)
        name = f"x{len(graph.metrics)}"
        kind = len(graph.metrics) % 4
        if kind == 0:
            graph.metrics[name] = Metric(name, "ratio", name, "", numerator=MetricInput(a, a),
                                         denominator=MetricInput(b, b))
        elif kind == 1:
            graph.metrics[name] = Metric(name, "derived", name, "", expr="p - q",
                                         inputs=(MetricInput(a, "p"), MetricInput(b, "q")))
        elif kind == 2:  # against a month earlier
            graph.metrics[name] = Metric(name, "derived", name, "", expr="p - q",
                                         inputs=(MetricInput(a, "p"), MetricInput(a, "q", offset_window="1 month")))
        else:
            graph.metrics[name] = Metric(name, "cumulative", name, "", measure=a, window="7 day")
    return graph


def bench_compile(n_metrics: int, n_queries: int) -> dict[str, float]:
    graph = synthetic_graph(n_metrics)
    rng = random.Random(42)
    names = sorted(graph.metrics)
    groups = ["metric_time__month", "metric_time__day", "customer__region", "customer__segment"]
    times = []
    for _ in range(n_queries):
        metrics = tuple(rng.sample(names, rng.randint(2, 4)))
        group_by = (rng.choice(groups[:2]), *rng.sample(groups[2:], rng.randint(0, 1)))
        where = ("{{ Dimension('customer__region') }} = 'EU'",) if rng.random() < 0.5 else ()
        start = time.perf_counter()
        compile_query(graph, Query(metrics, group_by, where), "postgres")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1]}


def bench_cli(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "jaffle_shop"
        shutil.copytree(ROOT / "examples" / "jaffle_shop", project,
                        ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
        mason = [str(Path(sys.executable).parent / "mason")]
        subprocess.run([*mason, "build"], cwd=project, check=True, capture_output=True)
        args = [*mason, "sl", "query", "--metrics", "order_total,order_count", "--group-by", "metric_time__month"]
        subprocess.run(args, cwd=project, check=True, capture_output=True)  # warm the parse cache
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(args, cwd=project, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metrics", type=int, default=500)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    compiled = bench_compile(args.metrics, args.queries)
    print(f"compile a metric query, {args.metrics} metrics: p50 {compiled['p50_ms']:.2f} ms, "
          f"p99 {compiled['p99_ms']:.2f} ms (target p50 <= 10 ms)")
    cli = bench_cli(args.runs)
    print(f"mason sl query on examples/jaffle_shop, process start to rows: median {cli['median_s']:.3f} s, "
          f"min {cli['min_s']:.3f} s (target <= 0.5 s)")


if __name__ == "__main__":
    main()
