"""The semantic graph: semantic models, their entities, dimensions and measures, and the metrics over them.

Both metric specs become this one graph: dbt's current one (`semantic_models:` + `metrics:` with `type:`) and
the older one many projects still carry (`metrics:` with `model: ref(...)` and `calculation_method:`), whose
metric becomes a semantic model of its own over its model (its `timestamp` the time dimension, its
`dimensions` categorical dimensions, its `expression` the measure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mason.errors import MasonError, ParseError, Span
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import GenericNode

GRAINS = ("day", "week", "month", "quarter", "year")
AGGS = {"sum", "count", "count_distinct", "average", "avg", "min", "max", "median", "percentile", "sum_boolean"}
_LEGACY_AGGS = frozenset({"sum", "average", "count", "count_distinct", "min", "max", "median"})
_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)""")


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    type: str  # primary | unique | foreign | natural
    expr: str


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    type: str  # categorical | time
    expr: str
    granularity: str | None = None


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    agg: str
    expr: str
    agg_time_dimension: str | None
    percentile: float | None = None


@dataclass(frozen=True, slots=True)
class SemanticModel:
    name: str
    relation: str  # the rendered relation of its model
    entities: tuple[Entity, ...]
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    default_time: str | None
    path: str = ""

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    @property
    def primary(self) -> Entity | None:
        return next((e for e in self.entities if e.type in ("primary", "unique", "natural")), None)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    type: str  # simple | ratio | derived
    label: str
    description: str
    measure: str | None = None  # simple
    numerator: str | None = None  # ratio: metric names
    denominator: str | None = None
    expr: str | None = None  # derived
    inputs: tuple[tuple[str, str], ...] = ()  # derived: (metric, alias)
    filter: str | None = None
    path: str = ""


@dataclass(slots=True)
class SemanticGraph:
    models: dict[str, SemanticModel] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    measure_model: dict[str, str] = field(default_factory=dict)  # measure name -> semantic model name

    def dimension_names(self) -> list[tuple[str, str]]:
        """(name as queries write it, type) of every dimension: `<primary entity>__<dimension>`."""
        return sorted((f"{model.primary.name + '__' if model.primary else ''}{d.name}", d.type)
                      for model in self.models.values() for d in model.dimensions)

    def measure(self, name: str) -> tuple[SemanticModel, Measure]:
        model = self.models[self.measure_model[name]]
        return model, next(m for m in model.measures if m.name == name)


def build_graph(manifest: Manifest, relation_of: Any) -> SemanticGraph:
    """The project's semantic graph; every problem is reported together, each with its file."""
    graph = SemanticGraph()
    errors: list[ParseError] = []
    for sm in manifest.semantic_models.values():
        try:
            model = _semantic_model(sm, manifest, relation_of)
        except ParseError as exc:
            errors.append(exc)
            continue
        graph.models[model.name] = model
        for measure in model.measures:
            if measure.name in graph.measure_model:
                errors.append(ParseError(f"measure {measure.name!r} is defined in two semantic models "
                                         f"({graph.measure_model[measure.name]} and {model.name})",
                                         Span(sm.original_file_path), "give one of them another name"))
            graph.measure_model[measure.name] = model.name
    for node in manifest.metrics.values():
        try:
            metric = _metric(node, graph, manifest, relation_of)
        except ParseError as exc:
            errors.append(exc)
            continue
        graph.metrics[metric.name] = metric
    errors.extend(_check_metrics(graph))
    if errors:
        from mason.errors import ParseErrors

        raise ParseErrors(list[MasonError](errors))
    return graph


def _relation(expr: str, manifest: Manifest, relation_of: Any, path: str, what: str) -> str:
    found = _REF.search(expr or "")
    if found is None:
        raise ParseError(f"{what}: model {expr!r} is not a ref('...')", Span(path), "write model: ref('my_model')")
    name = found.group(2) or found.group(1)
    node = next((n for n in manifest.nodes.values() if n.resource_type == "model" and n.name == name), None)
    if node is None:
        raise ParseError(f"{what}: model {name!r} not found", Span(path), "check the ref in model:")
    return str(relation_of(node))


def _semantic_model(sm: GenericNode, manifest: Manifest, relation_of: Any) -> SemanticModel:
    data = sm.data
    path = sm.original_file_path
    relation = _relation(str(data.get("model") or ""), manifest, relation_of, path, f"semantic model {sm.name}")
    entities = tuple(Entity(str(e["name"]), str(e.get("type") or "primary"), str(e.get("expr") or e["name"]))
                     for e in data.get("entities") or [])
    dims = []
    for d in data.get("dimensions") or []:
        params = d.get("type_params") or {}
        grain = params.get("time_granularity") or d.get("granularity")
        dims.append(Dimension(str(d["name"]), str(d.get("type") or "categorical"), str(d.get("expr") or d["name"]),
                              str(grain) if grain else None))
    default_time = (data.get("defaults") or {}).get("agg_time_dimension")
    measures = []
    for m in data.get("measures") or []:
        agg = str(m.get("agg") or "")
        if agg not in AGGS:
            raise ParseError(f"semantic model {sm.name}: measure {m.get('name')!r} has agg {agg!r}", Span(path),
                             f"use one of: {', '.join(sorted(AGGS))}")
        params = m.get("agg_params") or {}
        measures.append(Measure(str(m["name"]), agg, str(m.get("expr") or m["name"]),
                                m.get("agg_time_dimension") or default_time,
                                float(params["percentile"]) if params.get("percentile") is not None else None))
    return SemanticModel(sm.name, relation, entities, tuple(dims), tuple(measures), default_time, path)


def _metric(node: GenericNode, graph: SemanticGraph, manifest: Manifest, relation_of: Any) -> Metric:
    data = node.data
    path = node.original_file_path
    label = str(data.get("label") or node.name)
    description = str(data.get("description") or "")
    if data.get("calculation_method"):
        return _legacy_metric(node, graph, manifest, relation_of)
    kind = str(data.get("type") or "simple").lower()
    params = data.get("type_params") or {}
    filt = _filter_text(data.get("filter"))
    if kind == "simple":
        measure = params.get("measure")
        name = measure.get("name") if isinstance(measure, dict) else measure
        if isinstance(measure, dict) and measure.get("filter"):
            filt = " and ".join(f for f in (filt, _filter_text(measure["filter"])) if f) or None
        return Metric(node.name, "simple", label, description, measure=str(name or ""), filter=filt, path=path)
    if kind == "ratio":
        num, den = params.get("numerator"), params.get("denominator")
        return Metric(node.name, "ratio", label, description,
                      numerator=str(num.get("name") if isinstance(num, dict) else num),
                      denominator=str(den.get("name") if isinstance(den, dict) else den), filter=filt, path=path)
    if kind == "derived":
        inputs = tuple((str(m["name"]), str(m.get("alias") or m["name"])) for m in params.get("metrics") or [])
        return Metric(node.name, "derived", label, description, expr=str(params.get("expr") or ""),
                      inputs=inputs, filter=filt, path=path)
    raise ParseError(f"metric {node.name}: type {kind!r} is not supported yet", Span(path),
                     "use simple, ratio or derived")


def _legacy_metric(node: GenericNode, graph: SemanticGraph, manifest: Manifest, relation_of: Any) -> Metric:
    """A `calculation_method:` metric: a semantic model of its own over its model."""
    data = node.data
    path = node.original_file_path
    method = str(data["calculation_method"]).lower()
    label = str(data.get("label") or node.name)
    if method == "derived":
        expr = str(data.get("expression") or "")
        names = [m for m in re.findall(r"[A-Za-z_]\w*", expr) if m in {n.name for n in manifest.metrics.values()}]
        return Metric(node.name, "derived", label, str(data.get("description") or ""), expr=expr,
                      inputs=tuple((n, n) for n in dict.fromkeys(names)), path=path)
    if method not in _LEGACY_AGGS:
        raise ParseError(f"metric {node.name}: calculation_method {method!r} is not known", Span(path),
                         f"use one of: {', '.join(sorted(_LEGACY_AGGS))}, derived")
    relation = _relation(str(data.get("model") or ""), manifest, relation_of, path, f"metric {node.name}")
    timestamp = data.get("timestamp")
    dims = [Dimension(str(d), "categorical", str(d)) for d in data.get("dimensions") or []]
    if timestamp:
        dims.append(Dimension(str(timestamp), "time", str(timestamp), "day"))
    measure = Measure(node.name, method, str(data.get("expression") or "*"),
                      str(timestamp) if timestamp else None)
    model_name = f"metric_{node.name}"
    graph.models[model_name] = SemanticModel(model_name, relation, (), tuple(dims), (measure,),
                                             str(timestamp) if timestamp else None, path)
    graph.measure_model[node.name] = model_name
    filters = [f"{f['field']} {f['operator']} {f['value']}" for f in data.get("filters") or []
               if isinstance(f, dict) and {"field", "operator", "value"} <= set(f)]
    return Metric(node.name, "simple", label, str(data.get("description") or ""), measure=node.name,
                  filter=" and ".join(filters) or None, path=path)


def _filter_text(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, list):
        return " and ".join(f"({v})" for v in value)
    if isinstance(value, dict):
        return _filter_text(value.get("where_filters") or value.get("where_sql_template"))
    return str(value)


def _check_metrics(graph: SemanticGraph) -> list[ParseError]:
    errors = []
    for metric in graph.metrics.values():
        needed = [metric.measure] if metric.type == "simple" else []
        for name in needed:
            if name not in graph.measure_model:
                errors.append(ParseError(f"metric {metric.name}: measure {name!r} is not defined",
                                         Span(metric.path), "define it under a semantic model's measures:"))
        refs = [m for m in (metric.numerator, metric.denominator) if m] + [m for m, _ in metric.inputs]
        for name in refs:
            if name not in graph.metrics:
                errors.append(ParseError(f"metric {metric.name}: metric {name!r} is not defined",
                                         Span(metric.path), "define it under metrics:"))
    return errors
