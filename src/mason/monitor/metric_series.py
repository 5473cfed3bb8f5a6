"""`metric_anomalies`: a semantic-layer metric by metric_time at the test's bucket grain, as the SQL the test
reads its series from (columns mason_metric_time, mason_metric_value)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason.errors import CompileError, MasonError
from mason.semantic.graph import SemanticGraph, build_graph
from mason.semantic.sql import Query, compile_query

GRAINS = ("hour", "day", "week", "month")


def semantic_graph(manifest: Any, relation_of: Callable[[Any], str], roots: dict[str, Path]) -> SemanticGraph:
    return build_graph(manifest, relation_of, roots)


def metric_series_sql(graph: SemanticGraph, metric: str, grain: str, dialect: str | None) -> str:
    grain = str(grain).lower()
    if grain not in GRAINS:
        raise CompileError(f"metric_anomalies: time_bucket period {grain!r} is not a metric_time grain",
                           hint=f"use one of {', '.join(GRAINS)}")
    name = str(metric)
    if name not in graph.metrics:
        from mason.errors import did_you_mean

        raise CompileError(f"metric_anomalies: metric {name!r} is not defined",
                           hint=did_you_mean(name, sorted(graph.metrics)) or "define it under metrics: in YAML")
    try:
        sql = compile_query(graph, Query((name,), (f"metric_time__{grain}",)), dialect)
    except MasonError as exc:
        raise CompileError(f"metric_anomalies: metric {name!r} by metric_time__{grain}: {exc.message}",
                           hint=exc.hint) from exc
    return (f"select metric_time__{grain} as mason_metric_time, {name} as mason_metric_value\n"
            f"from (\n{sql}\n) mason_metric_query")
