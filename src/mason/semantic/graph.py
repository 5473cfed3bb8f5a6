"""The semantic graph: semantic models, their entities, dimensions and measures, and the metrics over them.

Both metric specs become this one graph: dbt's current one (`semantic_models:` + `metrics:` with `type:`) and
the older one many projects still carry (`metrics:` with `model: ref(...)` and `calculation_method:`), whose
metric becomes a semantic model of its own over its model (its `timestamp` the time dimension, its
`dimensions` categorical dimensions, its `expression` the measure).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mason.errors import MasonError, ParseError, Span
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import GenericNode

GRAINS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")  # finest first
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
class NonAdditive:
    """A measure that may not be summed over `dimension` (a balance): only the rows at its last (`max`) or
    first (`min`) value count, per `groupings` entities and the query's metric_time periods."""

    dimension: str
    window_choice: str  # max | min
    groupings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    agg: str
    expr: str
    agg_time_dimension: str | None
    percentile: float | None = None
    non_additive: NonAdditive | None = None


@dataclass(frozen=True, slots=True)
class SemanticModel:
    name: str
    relation: str  # the rendered relation of its model
    entities: tuple[Entity, ...]
    dimensions: tuple[Dimension, ...]
    measures: tuple[Measure, ...]
    default_time: str | None
    path: str = ""
    primary_entity: str | None = None  # `primary_entity:`, for a model whose rows no entity identifies

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    @property
    def primary(self) -> Entity | None:
        return next((e for e in self.entities if e.type in ("primary", "unique", "natural")), None)

    @property
    def dimension_prefix(self) -> str:
        """What the model's own dimensions are named after: `<prefix>__<dimension>`."""
        primary = self.primary
        return primary.name if primary is not None else self.primary_entity or ""


@dataclass(frozen=True, slots=True)
class MetricInput:
    """A metric used by a ratio or derived metric, with the input's own filter and time offset."""

    name: str
    alias: str
    filter: str | None = None
    offset_window: str | None = None  # '1 month': the value one month earlier
    offset_to_grain: str | None = None  # 'month': the value at the start of the month


@dataclass(frozen=True, slots=True)
class Conversion:
    entity: str
    calculation: str  # conversion_rate | conversions
    base_measure: str
    conversion_measure: str
    window: str | None = None
    constant_properties: tuple[tuple[str, str], ...] = ()  # (base property, conversion property)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    type: str  # simple | ratio | derived | cumulative | conversion
    label: str
    description: str
    measure: str | None = None  # simple, cumulative
    numerator: MetricInput | None = None  # ratio
    denominator: MetricInput | None = None
    expr: str | None = None  # derived
    inputs: tuple[MetricInput, ...] = ()  # derived
    filter: str | None = None
    path: str = ""
    window: str | None = None  # cumulative: '7 days'; none and no grain_to_date: all time
    grain_to_date: str | None = None
    period_agg: str = "first"  # cumulative at a coarser grain than the spine: first | last | average
    conversion: Conversion | None = None
    fill_nulls_with: Any = None
    line: int = 0
    time_grains: tuple[str, ...] = ()  # the older spec's `time_grains`: the grains it may be asked by
    group: str | None = None  # the metric's group (config or property), which API tokens may be scoped to

    def parents(self) -> tuple[str, ...]:
        """The metrics this one is computed from."""
        if self.type == "ratio":
            return tuple(m.name for m in (self.numerator, self.denominator) if m)
        return tuple(m.name for m in self.inputs)


@dataclass(frozen=True, slots=True)
class TimeSpine:
    relation: str
    column: str  # its day column


@dataclass(slots=True)
class SemanticGraph:
    models: dict[str, SemanticModel] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    measure_model: dict[str, str] = field(default_factory=dict)  # measure name -> semantic model name
    time_spine: TimeSpine | None = None

    def dimension_names(self) -> list[tuple[str, str]]:
        """(name as queries write it, type) of every dimension: `<primary entity>__<dimension>`."""
        return sorted((f"{model.dimension_prefix + '__' if model.dimension_prefix else ''}{d.name}", d.type)
                      for model in self.models.values() for d in model.dimensions)

    def measure(self, name: str) -> tuple[SemanticModel, Measure]:
        model = self.models[self.measure_model[name]]
        return model, next(m for m in model.measures if m.name == name)


_SECTIONS = {"semantic_model": "semantic_models", "metric": "metrics", "saved_query": "saved_queries"}


def source_line(root: Path | None, path: str, section: str, name: str) -> int | None:
    """The line of `- name: <name>` under the top-level key `section` of a YAML file (errors only: this reads
    the file again)."""
    if root is None:
        return None
    try:
        lines = (root / path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    named = re.compile(rf"""(^|[\s{{,-])name:\s*['"]?{re.escape(name)}['"]?\s*($|[,}}#])""")
    inside = False
    for number, line in enumerate(lines, 1):
        if line and not line[0].isspace() and not line.startswith("#"):
            inside = line.startswith(f"{section}:")
        if inside and named.search(line):
            return number
    return None


def _located(errors: list[ParseError], graph: SemanticGraph, manifest: Manifest,
             roots: Mapping[str, Path]) -> list[ParseError]:
    """The errors with the line of the semantic model or metric each is about."""
    nodes = {(n.original_file_path, n.name): n for n in (*manifest.semantic_models.values(),
                                                          *manifest.metrics.values())}
    out = []
    for error in errors:
        span = error.span
        subject = re.match(r"(?:semantic model|metric) (\w+)", error.message)
        node = nodes.get((span.path, subject.group(1))) if span is not None and subject else None
        if span is not None and span.line is None and node is not None:
            line = source_line(roots.get(node.package_name), span.path, _SECTIONS[node.resource_type], node.name)
            error = type(error)(error.message, replace(span, line=line), error.hint)
        out.append(error)
    return out


def build_graph(manifest: Manifest, relation_of: Any, roots: Mapping[str, Path] | None = None,
                problems: list[MasonError] | None = None) -> SemanticGraph:
    """The project's semantic graph; every problem is reported together, each with its file and line (`roots`:
    each package's folder, to find the lines). Given a `problems` list, they are added to it instead of raised
    and the graph holds what is sound (a metric with a problem is left out)."""
    graph = SemanticGraph()
    errors: list[ParseError] = []
    graph.time_spine = _time_spine(manifest, relation_of)
    for sm in manifest.semantic_models.values():
        try:
            model = _semantic_model(sm, manifest, relation_of)
        except ParseError as exc:
            errors.append(exc)
            continue
        if model.name in graph.models:
            errors.append(ParseError(f"semantic model {model.name!r} is defined twice", Span(sm.original_file_path),
                                     "give one of them another name"))
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
    checked = _check_metrics(graph)
    errors.extend(checked)
    if errors:
        located = list[MasonError](_located(errors, graph, manifest, roots or {}))
        if problems is None:
            from mason.errors import ParseErrors

            raise ParseErrors(located)
        problems.extend(located)
        for error in checked:
            subject = re.match(r"metric (\w+)", error.message)
            if subject:
                graph.metrics.pop(subject.group(1), None)
        while True:  # and what is computed from a metric left out
            broken = {m.name: p for m in graph.metrics.values() for p in m.parents() if p not in graph.metrics}
            if not broken:
                break
            for name, parent in sorted(broken.items()):
                metric = graph.metrics.pop(name)
                line = source_line((roots or {}).get(manifest.project_name), metric.path, "metrics", name)
                problems.append(ParseError(f"metric {name}: uses metric {parent!r}, which has a problem",
                                           Span(metric.path, line), f"mend {parent} first"))
    return graph


def _time_spine(manifest: Manifest, relation_of: Any) -> TimeSpine | None:
    """The day-grain time spine: a model with a `time_spine:` property, else the older `metricflow_time_spine`
    model (its `date_day` column)."""
    legacy = None
    for node in manifest.nodes.values():
        if node.resource_type != "model":
            continue
        spine = node.time_spine
        if spine and spine.get("standard_granularity_column"):
            column = str(spine["standard_granularity_column"])
            declared = node.columns.get(column)
            if declared is None or (declared.granularity or "day") == "day":
                return TimeSpine(str(relation_of(node)), column)
        if node.name == "metricflow_time_spine":
            legacy = TimeSpine(str(relation_of(node)), "date_day")
    return legacy


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
        dims.append(Dimension(str(d["name"]), str(d.get("type") or "categorical").lower(),
                              str(d.get("expr") or d["name"]), str(grain) if grain else None))
    names = [e.name for e in entities] + [d.name for d in dims]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ParseError(f"semantic model {sm.name}: {', '.join(clash)} named twice (entities and dimensions "
                         "share one namespace)", Span(path), "rename one of them")
    primary_entity = str(data["primary_entity"]) if data.get("primary_entity") else None
    if dims and primary_entity is None and not any(e.type in ("primary", "unique", "natural") for e in entities):
        raise ParseError(f"semantic model {sm.name} has dimensions but no primary entity", Span(path),
                         "add an entity with type: primary, or name one with primary_entity: <name>")
    default_time = (data.get("defaults") or {}).get("agg_time_dimension")
    measures = []
    for m in data.get("measures") or []:
        agg = str(m.get("agg") or "")
        if agg not in AGGS:
            raise ParseError(f"semantic model {sm.name}: measure {m.get('name')!r} has agg {agg!r}", Span(path),
                             f"use one of: {', '.join(sorted(AGGS))}")
        params = m.get("agg_params") or {}
        time_dim = m.get("agg_time_dimension") or default_time
        if not time_dim:
            raise ParseError(f"semantic model {sm.name}: measure {m['name']!r} has no time dimension to "
                             "aggregate over", Span(path), "set defaults: {agg_time_dimension: <a time dimension>} "
                             "on the semantic model (or agg_time_dimension on the measure)")
        if not any(d.name == time_dim and d.type == "time" for d in dims):
            raise ParseError(f"semantic model {sm.name}: measure {m['name']!r} aggregates over time dimension "
                             f"{time_dim!r}, which the model does not define", Span(path),
                             "add it under dimensions: with type: time")
        non_additive = None
        nad = m.get("non_additive_dimension")
        if isinstance(nad, dict):
            choice = str(nad.get("window_choice") or "min").lower()
            if choice not in ("min", "max") or not any(d.name == nad.get("name") for d in dims):
                raise ParseError(f"semantic model {sm.name}: measure {m['name']!r}: non_additive_dimension needs "
                                 "the name of one of the model's time dimensions and window_choice min or max",
                                 Span(path), "e.g. non_additive_dimension: {name: balance_date, window_choice: max}")
            non_additive = NonAdditive(str(nad["name"]), choice, tuple(str(g) for g in nad.get("window_groupings")
                                                                         or ()))
        measures.append(Measure(str(m["name"]), agg, str(m.get("expr") or m["name"]), time_dim,
                                float(params["percentile"]) if params.get("percentile") is not None else None,
                                non_additive))
    return SemanticModel(sm.name, relation, entities, tuple(dims), tuple(measures), default_time, path,
                         primary_entity)


def _name(value: Any) -> str:
    return str(value.get("name") if isinstance(value, dict) else value or "")


def _input(value: Any) -> MetricInput:
    if not isinstance(value, dict):
        return MetricInput(str(value), str(value))
    offset = value.get("offset_window")
    if isinstance(offset, dict):  # {count: 1, granularity: month}
        offset = f"{offset.get('count')} {offset.get('granularity')}"
    return MetricInput(str(value["name"]), str(value.get("alias") or value["name"]), _filter_text(value.get("filter")),
                       _window(offset), str(value["offset_to_grain"]) if value.get("offset_to_grain") else None)


_WINDOW = re.compile(r"\s*(\d+)\s+(second|minute|hour|day|week|month|quarter|year)s?\s*", re.IGNORECASE)


def _window(value: Any) -> str | None:
    """'7 days' as '7 day' (count and grain), or None; anything else is refused by the caller's check."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = f"{value.get('count')} {value.get('granularity') or value.get('period')}"
    found = _WINDOW.fullmatch(str(value))
    return f"{int(found.group(1))} {found.group(2).lower()}" if found else f"bad:{value}"


def _group(node: GenericNode) -> str | None:
    data = node.data
    value = node.config.get("group") or data.get("group") or (data.get("config") or {}).get("group")
    return str(value) if value else None


def _metric(node: GenericNode, graph: SemanticGraph, manifest: Manifest, relation_of: Any) -> Metric:
    metric = _metric_of(node, graph, manifest, relation_of)
    group = _group(node)
    return replace(metric, group=group) if group else metric


def _metric_of(node: GenericNode, graph: SemanticGraph, manifest: Manifest, relation_of: Any) -> Metric:
    data = node.data
    path = node.original_file_path
    label = str(data.get("label") or node.name)
    description = str(data.get("description") or "")
    if data.get("calculation_method"):
        return _legacy_metric(node, graph, manifest, relation_of)
    kind = str(data.get("type") or "simple").lower()
    params = data.get("type_params") or {}
    filt = _filter_text(data.get("filter"))
    base: dict[str, Any] = {"label": label, "description": description, "path": path}
    measure = params.get("measure")
    if isinstance(measure, dict) and measure.get("filter"):
        filt = " and ".join(f"({f})" for f in (filt, _filter_text(measure["filter"])) if f) or None
    fill = measure.get("fill_nulls_with") if isinstance(measure, dict) else None
    if kind == "simple":
        return Metric(node.name, "simple", measure=_name(measure), filter=filt, fill_nulls_with=fill, **base)
    if kind == "cumulative":
        cparams = params.get("cumulative_type_params") or {}
        window = cparams.get("window", params.get("window"))
        grain_to_date = cparams.get("grain_to_date", params.get("grain_to_date"))
        return Metric(node.name, "cumulative", measure=_name(measure), filter=filt, fill_nulls_with=fill,
                      window=_window(window), grain_to_date=str(grain_to_date).lower() if grain_to_date else None,
                      period_agg=str(cparams.get("period_agg") or "first").lower(), **base)
    if kind == "ratio":
        return Metric(node.name, "ratio", numerator=_input(params.get("numerator")),
                      denominator=_input(params.get("denominator")), filter=filt, **base)
    if kind == "derived":
        inputs = tuple(_input(m) for m in params.get("metrics") or [])
        return Metric(node.name, "derived", expr=str(params.get("expr") or ""), inputs=inputs, filter=filt, **base)
    if kind == "conversion":
        cp = params.get("conversion_type_params") or {}
        props = tuple((str(p.get("base_property")), str(p.get("conversion_property")))
                      for p in cp.get("constant_properties") or [] if isinstance(p, dict))
        conversion = Conversion(str(cp.get("entity") or ""), str(cp.get("calculation") or "conversion_rate").lower(),
                                _name(cp.get("base_measure")), _name(cp.get("conversion_measure")),
                                _window(cp.get("window")), props)
        return Metric(node.name, "conversion", conversion=conversion, filter=filt, **base)
    raise ParseError(f"metric {node.name}: type {kind!r} is not a metric type", Span(path),
                     "use simple, ratio, derived, cumulative or conversion")


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
                      inputs=tuple(MetricInput(n, n) for n in dict.fromkeys(names)), path=path)
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
    window = data.get("window")
    return Metric(node.name, "cumulative" if window else "simple", label, str(data.get("description") or ""),
                  measure=node.name, filter=" and ".join(filters) or None, path=path, window=_window(window),
                  time_grains=tuple(str(g).lower() for g in data.get("time_grains") or ()))


def _filter_text(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, list):
        return " and ".join(f"({v})" for v in value)
    if isinstance(value, dict):
        return _filter_text(value.get("where_filters") or value.get("where_sql_template"))
    return str(value)


def _check_metrics(graph: SemanticGraph) -> list[ParseError]:
    """Every metric's references: measures, metrics, windows, the conversion entity and the time spine."""
    errors = []

    def problem(metric: Metric, message: str, hint: str) -> None:
        errors.append(ParseError(f"metric {metric.name}: {message}", Span(metric.path), hint))

    for metric in graph.metrics.values():
        measures = [metric.measure] if metric.type in ("simple", "cumulative") else []
        if metric.conversion is not None:
            measures = [metric.conversion.base_measure, metric.conversion.conversion_measure]
        for name in measures:
            if name not in graph.measure_model:
                problem(metric, f"measure {name!r} is not defined", "define it under a semantic model's measures:")
        for name in metric.parents():
            if name not in graph.metrics:
                problem(metric, f"metric {name!r} is not defined", "define it under metrics:")
        windows = [metric.window, *(i.offset_window for i in metric.inputs)]
        if metric.conversion is not None:
            windows.append(metric.conversion.window)
        for window in windows:
            if window and window.startswith("bad:"):
                problem(metric, f"window {window[4:]!r} is not a count and a grain", "write e.g. window: 7 days")
        grains = [metric.grain_to_date, *(i.offset_to_grain for i in metric.inputs)]
        for grain in grains:
            if grain and grain not in GRAINS:
                problem(metric, f"{grain!r} is not a grain", f"use one of: {', '.join(GRAINS)}")
        if metric.period_agg not in ("first", "last", "average"):
            problem(metric, f"period_agg {metric.period_agg!r} is not known", "use first, last or average")
        needs_spine = metric.type == "cumulative" or any(i.offset_window or i.offset_to_grain for i in metric.inputs)
        if needs_spine and graph.time_spine is None:
            problem(metric, "needs a time spine, and the project has none",
                    "add a model of dates with `time_spine: {standard_granularity_column: date_day}` in its "
                    "YAML (or a model named metricflow_time_spine with a date_day column)")
        conv = metric.conversion
        if conv is not None and all(n in graph.measure_model for n in (conv.base_measure, conv.conversion_measure)):
            for name in (conv.base_measure, conv.conversion_measure):
                model, _ = graph.measure(name)
                if model.entity(conv.entity) is None:
                    problem(metric, f"entity {conv.entity!r} is not an entity of semantic model {model.name!r} "
                            f"(of measure {name!r})", "a conversion joins both measures' models on one entity")
        if metric.type in ("ratio", "derived") and not metric.parents():
            problem(metric, "has no input metrics", "list them under type_params")
    return errors
