"""What dbt's Semantic Layer API says about a project, read from Mason's semantic graph, and its query
arguments turned into a `mason.semantic.sql.Query`.

MetricFlow's names: a dimension of the measure's own model is `<primary entity>__<dimension>` (a bare name
when the model has no primary entity, as the older spec's), one of a model joined through an entity is
`<entity>__<dimension>` (one hop, to a primary or unique entity, as the compiler joins), and every measure
with an aggregation time dimension gives `metric_time`. A metric's dimensions are those all its measures
share (ratio and derived metrics reach their measures through their input metrics). Time dimensions can be
queried at their own granularity and every coarser one of day, week, month, quarter, year.

Only the graph's attributes are read (models, metrics, measure_model and the fields of their dataclasses), so
metric types added later show the measures and input metrics they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mason.errors import UsageError, did_you_mean
from mason.semantic.graph import GRAINS, Entity, Measure, SemanticGraph, SemanticModel
from mason.semantic.sql import Query

METRIC_TIME = "metric_time"
_JOIN_KEYS = ("primary", "unique")


@dataclass(frozen=True, slots=True)
class DimensionInfo:
    name: str  # the element name: region
    qualified_name: str  # as queries write it: customer__region, metric_time
    type: str  # categorical | time
    expr: str | None
    grains: tuple[str, ...]  # time dimensions: the queryable granularities, finest first


@dataclass(frozen=True, slots=True)
class SavedQueryInfo:
    name: str
    description: str | None
    label: str | None
    metrics: tuple[str, ...]
    group_by: tuple[tuple[str, str | None], ...]  # (name, grain)
    where: tuple[str, ...]
    exports: tuple[tuple[str, str | None, str | None, str], ...]  # (name, alias, schema, export_as)


def grains_from(granularity: str | None) -> tuple[str, ...]:
    """The granularities a time dimension of `granularity` can be queried at."""
    if granularity in GRAINS:
        return GRAINS[GRAINS.index(str(granularity)):]
    return GRAINS


def split_grain(name: str) -> tuple[str, str | None]:
    """`metric_time__month` -> (`metric_time`, `month`); a name without a grain suffix is kept whole."""
    head, sep, tail = name.rpartition("__")
    if sep and head and tail.lower() in GRAINS:
        return head, tail.lower()
    return name, None


class Catalog:
    """Metric metadata for the API, computed once per metric (the graph is built once, at server start)."""

    def __init__(self, graph: SemanticGraph) -> None:
        self.graph = graph
        self._sources: dict[str, list[tuple[SemanticModel, Measure]]] = {}
        self._dims: dict[str, dict[str, DimensionInfo]] = {}

    # -- metrics and their measures ---------------------------------------------------------------------

    def metric_names(self) -> list[str]:
        return sorted(self.graph.metrics)

    def check_metric(self, name: str) -> None:
        if name not in self.graph.metrics:
            raise UsageError(f"metric {name!r} is not defined", hint=did_you_mean(name, self.graph.metrics)
                             or f"metrics: {', '.join(sorted(self.graph.metrics)) or 'none'}")

    def sources(self, name: str, seen: tuple[str, ...] = ()) -> list[tuple[SemanticModel, Measure]]:
        """The (semantic model, measure) pairs a metric aggregates, through its input metrics."""
        if name in self._sources:
            return self._sources[name]
        self.check_metric(name)
        metric = self.graph.metrics[name]
        found: list[tuple[SemanticModel, Measure]] = []
        conversion = getattr(metric, "conversion", None)  # a conversion metric: its base measure's dimensions
        for measure in (getattr(metric, "measure", None), getattr(conversion, "base_measure", None)):
            if measure and measure in self.graph.measure_model:
                found.append(self.graph.measure(str(measure)))
        inputs = [getattr(metric, "numerator", None), getattr(metric, "denominator", None),
                  *(getattr(metric, "inputs", ()) or ())]
        for ref in map(_ref_name, inputs):
            if ref and ref in self.graph.metrics and ref not in seen and ref != name:
                found.extend(self.sources(ref, (*seen, name)))
        unique = list({(model.name, m.name): (model, m) for model, m in found}.values())
        if not seen:
            self._sources[name] = unique
        return unique

    def measures(self, metrics: list[str]) -> list[Measure]:
        out: dict[str, Measure] = {}
        for name in metrics:
            for _, measure in self.sources(name):
                out.setdefault(measure.name, measure)
        return list(out.values())

    # -- dimensions -------------------------------------------------------------------------------------

    def _source_dimensions(self, model: SemanticModel, measure: Measure) -> dict[str, DimensionInfo]:
        dims: dict[str, DimensionInfo] = {}
        time_name = measure.agg_time_dimension or model.default_time
        time_dim = model.dimension(str(time_name)) if time_name else None
        if time_dim is not None and time_dim.type == "time":
            dims[METRIC_TIME] = DimensionInfo(METRIC_TIME, METRIC_TIME, "time", None,
                                              grains_from(time_dim.granularity))
        primary = model.primary
        prefix = f"{primary.name}__" if primary is not None else ""
        for d in model.dimensions:
            dims.setdefault(prefix + d.name, DimensionInfo(
                d.name, prefix + d.name, d.type, d.expr, grains_from(d.granularity) if d.type == "time" else ()))
        for entity in model.entities:
            for other in self.graph.models.values():
                key = other.entity(entity.name)
                if other is model or key is None or key.type not in _JOIN_KEYS:
                    continue
                for d in other.dimensions:
                    qualified = f"{entity.name}__{d.name}"
                    dims.setdefault(qualified, DimensionInfo(
                        d.name, qualified, d.type, d.expr,
                        grains_from(d.granularity) if d.type == "time" else ()))
        return dims

    def metric_dimensions(self, name: str) -> dict[str, DimensionInfo]:
        """The dimensions every measure of the metric can be grouped by, by qualified name."""
        if name in self._dims:
            return self._dims[name]
        common: dict[str, DimensionInfo] | None = None
        for model, measure in self.sources(name):
            dims = self._source_dimensions(model, measure)
            common = dims if common is None else _intersect(common, dims)
        self._dims[name] = common or {}
        return self._dims[name]

    def dimensions(self, metrics: list[str]) -> list[DimensionInfo]:
        """The dimensions all of `metrics` share (every dimension of the project when none is given)."""
        if not metrics:
            metrics = self.metric_names()
            union: dict[str, DimensionInfo] = {}
            for name in metrics:
                for key, dim in self.metric_dimensions(name).items():
                    union.setdefault(key, dim)
            return sorted(union.values(), key=lambda d: d.qualified_name)
        common: dict[str, DimensionInfo] | None = None
        for name in metrics:
            dims = self.metric_dimensions(name)
            common = dict(dims) if common is None else _intersect(common, dims)
        return sorted((common or {}).values(), key=lambda d: d.qualified_name)

    def metric_time_grains(self, metrics: list[str]) -> tuple[str, ...]:
        found = next((d for d in self.dimensions(metrics) if d.qualified_name == METRIC_TIME), None)
        return found.grains if found is not None else ()

    def entities(self, metrics: list[str]) -> list[Entity]:
        """The entities of the measures' own models that all of `metrics` share (group by their names);
        every model's when no metric is given."""
        if not metrics:
            every = {e.name: e for model in self.graph.models.values() for e in model.entities}
            return sorted(every.values(), key=lambda e: e.name)
        common: dict[str, Entity] | None = None
        for name in metrics:
            for model, _ in self.sources(name):
                own = {e.name: e for e in model.entities}
                common = own if common is None else {k: v for k, v in common.items() if k in own}
        return sorted((common or {}).values(), key=lambda e: e.name)

    def metrics_for_dimensions(self, names: list[str]) -> list[str]:
        """The metrics that can be grouped by all of `names` (qualified names, grains allowed)."""
        wanted = [split_grain(n) for n in names]
        out = []
        for metric in self.metric_names():
            dims = self.metric_dimensions(metric)
            entities = {e.name for model, _ in self.sources(metric) for e in model.entities}
            if all((base in dims and (grain is None or grain in dims[base].grains)) or base in entities
                   for base, grain in wanted):
                out.append(metric)
        return out

    # -- query arguments --------------------------------------------------------------------------------

    def group_by_name(self, metrics: tuple[str, ...], name: str, grain: str | None) -> str:
        """A group-by as the compiler names it: the grain appended, a time dimension's default grain (its
        finest) when none is given, so the column is named as MetricFlow names it (`metric_time__day`)."""
        base, own_grain = split_grain(name)
        if grain is not None:
            grain = grain.lower()
            if own_grain is not None and own_grain != grain:
                raise UsageError(f"group by {name!r} at grain {grain!r}: the name already has the grain "
                                 f"{own_grain!r}")
            if grain not in GRAINS:
                raise UsageError(f"group by {name!r}: grain {grain!r} is not supported",
                                 hint=f"use one of: {', '.join(GRAINS)}")
            return f"{base}__{grain}"
        if own_grain is not None:
            return name
        found = self.time_dimension(metrics, name)
        if found is not None and found.grains:
            return f"{name}__{found.grains[0]}"
        return name

    def time_dimension(self, metrics: tuple[str, ...], name: str) -> DimensionInfo | None:
        """The time dimension `name` (no grain) as the metrics share it, if it is one."""
        try:
            dims = self.dimensions(list(metrics))
        except UsageError:
            return None  # an unknown metric: the compiler says so
        found = next((d for d in dims if d.qualified_name == name), None)
        return found if found is not None and found.type == "time" else None

    def order_by_name(self, group_by: tuple[str, ...], metrics: tuple[str, ...], name: str,
                      grain: str | None) -> str:
        """An order-by group-by: with a grain, that group-by; without one, the query's group-by of that
        name at whatever grain it has (as MetricFlow lets the server choose)."""
        if grain is not None:
            return self.group_by_name(metrics, name, grain)
        if name in group_by:
            return name
        return next((g for g in group_by if split_grain(g)[0] == name), name)


def saved_queries(parsed: Any) -> list[SavedQueryInfo]:
    from mason.api.semantic import saved_query

    out = []
    for node in parsed.manifest.saved_queries.values():
        query = saved_query(parsed, node.name)
        data = node.data
        exports = []
        for item in data.get("exports") or []:
            if not isinstance(item, dict):
                continue
            config = item.get("config") or {}
            exports.append((str(item.get("name") or ""), config.get("alias"), config.get("schema"),
                            str(config.get("export_as") or "table").upper()))
        out.append(SavedQueryInfo(
            node.name, node.description or data.get("description") or None, data.get("label"), query.metrics,
            tuple(split_grain(g) for g in query.group_by), query.where, tuple(exports)))
    return sorted(out, key=lambda q: q.name)


def _ref_name(ref: Any) -> str | None:
    """An input metric's name: written as a name, a (name, alias) pair or an object with a name."""
    if ref is None or isinstance(ref, str):
        return ref
    if isinstance(ref, tuple):
        return str(ref[0]) if ref else None
    name = getattr(ref, "name", None)
    return str(name) if name else None


def _intersect(a: dict[str, DimensionInfo], b: dict[str, DimensionInfo]) -> dict[str, DimensionInfo]:
    out = {}
    for key, dim in a.items():
        other = b.get(key)
        if other is None:
            continue
        if dim.grains != other.grains:  # the coarser start: what both can be truncated to
            dim = DimensionInfo(dim.name, dim.qualified_name, dim.type, dim.expr,
                                tuple(g for g in dim.grains if g in other.grains))
        out[key] = dim
    return out


# MetricFlow's template spellings the filter check does not read, rewritten to the ones it does:
# `{{ Dimension('metric_time').grain('month') }}` -> `{{ TimeDimension('metric_time', 'month') }}`,
# double quotes -> single, `'MONTH'` -> `'month'`. Anything else is left for the check to judge.
_TEMPLATE = re.compile(
    r"""\{\{\s*(Dimension|TimeDimension|Entity)\(\s*(['"])([\w.]+)\2\s*(?:,\s*(['"])(\w+)\4\s*)?\)"""
    r"""(?:\s*\.\s*grain\(\s*(['"])(\w+)\6\s*\))?\s*\}\}""")


def normalize_filter(text: str) -> str:
    def canonical(match: re.Match[str]) -> str:
        kind, name, grain = match.group(1), match.group(3), match.group(5) or match.group(7)
        if grain is not None and kind != "Entity":
            return f"{{{{ TimeDimension('{name}', '{grain.lower()}') }}}}"
        return f"{{{{ {kind}('{name}') }}}}"

    return _TEMPLATE.sub(canonical, text)


@dataclass(frozen=True, slots=True)
class OrderItem:
    metric: str | None = None
    group_by: str | None = None
    grain: str | None = None
    descending: bool = False


def build_query(catalog: Catalog, parsed: Any, *, metrics: list[str] | None,
                group_by: list[tuple[str, str | None]] | None, where: list[str] | None,
                order_by: list[OrderItem] | None, limit: int | None, saved_query: str | None) -> Query:
    """The API's createQuery / compileSql arguments as one Query: a saved query's own metrics, group-bys
    and filters first, then the request's filters, order and limit."""
    if limit is not None and limit < 0:
        raise UsageError(f"limit must not be negative (got {limit})")
    filters = tuple(normalize_filter(w) for w in where or ())
    if saved_query is not None:
        if metrics or group_by:
            raise UsageError("savedQuery and metrics/groupBy are mutually exclusive",
                             hint="a saved query already names its metrics and group-bys")
        from mason.api.semantic import saved_query as load_saved

        base = load_saved(parsed, saved_query)
        names, groups = base.metrics, base.group_by
        filters = tuple(normalize_filter(w) for w in base.where) + filters
    else:
        if not metrics:
            raise UsageError("give at least one metric", hint='metrics: [{name: "revenue"}]')
        names = tuple(metrics)
        groups = tuple(catalog.group_by_name(names, name, grain) for name, grain in group_by or ())
    order = []
    for item in order_by or ():
        if (item.metric is None) == (item.group_by is None):
            raise UsageError("an orderBy item takes one of metric or groupBy")
        if item.metric is not None:
            column = item.metric
        else:
            column = catalog.order_by_name(groups, names, str(item.group_by), item.grain)
        order.append(("-" if item.descending else "") + column)
    return Query(names, groups, filters, tuple(order), limit)


def time_columns(catalog: Catalog, query: Query) -> set[str]:
    """The query's group-by columns that hold dates or timestamps."""
    out = set()
    for name in query.group_by:
        base, grain = split_grain(name)
        if base == METRIC_TIME or grain is not None or catalog.time_dimension(query.metrics, base) is not None:
            out.add(name)
    return out
