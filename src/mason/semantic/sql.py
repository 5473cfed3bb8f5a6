"""A metric query (metrics × group by × where × order × limit) to a plan, and the plan to one SQL statement.

Each measure is aggregated in the semantic model that defines it (an *aggregation*), grouped by the requested
names (joined from other semantic models through entities, foreign → primary only, so no join fans out);
measures of one model read the same way (one filter, one meeting with the time spine) share an aggregation.
The aggregations are joined on the group-by columns and the metrics computed on top: ratio = numerator /
denominator, derived = its expression over its inputs, conversion = conversions / base events.

Time: a cumulative metric's rows meet the daily time spine (each day collects the rows of its window) and,
asked at a coarser grain, keep one value per period (`period_agg` first, last or average of its days); an
input with `offset_window` or `offset_to_grain` reads the rows of the earlier period the spine maps each
period to. A measure with a `non_additive_dimension` counts only the rows at that dimension's last (or first)
value. This follows MetricFlow's semantics, so the same project gives the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from mason.errors import UsageError, did_you_mean
from mason.semantic import render
from mason.semantic.dialect import DIALECTS, Dialect, writing
from mason.semantic.graph import GRAINS, Metric, MetricInput, SemanticGraph
from mason.semantic.resolve import Source, TimeJoin, column_alias, split_grain


@dataclass(frozen=True, slots=True)
class Query:
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    start_time: str | None = None  # metric_time bounds, inclusive (ISO dates or timestamps)
    end_time: str | None = None


@dataclass(frozen=True, slots=True)
class Aggregation:
    """One aggregation of the plan, as the SQL of its common table expression."""

    alias: str
    sql: str


@dataclass(frozen=True, slots=True)
class Plan:
    aggregations: tuple[Aggregation, ...]
    group_by: tuple[str, ...]  # column names
    select: tuple[tuple[str, str], ...]  # (column name, expression over the aggregations)
    order_by: tuple[str, ...]
    limit: int | None
    dialect: Dialect
    relations: tuple[tuple[str, str], ...] = ()  # (placeholder, relation), when the SQL is to be transpiled


def compile_query(graph: SemanticGraph, query: Query, dialect: str | None = None) -> str:
    """The query's SQL in the warehouse's dialect (sqlglot's name; DuckDB's when None)."""
    written, transpile = writing(dialect)
    plan = plan_query(graph, query, written, placeholders=transpile)
    sql = render_plan(plan)
    if transpile:
        import sqlglot

        sql = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]
        for placeholder, relation in plan.relations:
            sql = sql.replace(placeholder, relation)
    return sql


def plan_query(graph: SemanticGraph, query: Query, dialect: Dialect = DIALECTS["duckdb"],
               placeholders: bool = False, prefix: str = "") -> Plan:
    """The query's plan; `placeholders` writes stand-in names for relations (put back after transpiling:
    sqlglot would misread a warehouse's quoting), `prefix` names its aggregations apart from another plan's."""
    return _Planner(graph, query, dialect, {} if placeholders else None, prefix).plan()


def render_plan(plan: Plan) -> str:
    ctes = [f"{a.alias} as (\n{a.sql}\n)" for a in plan.aggregations]
    aliases = [a.alias for a in plan.aggregations]
    group = list(plan.group_by)
    if len(aliases) > 1 and group:
        # every group-by combination any aggregation has, then each aggregation joined to it (a full outer
        # join on nullable keys is not possible everywhere: PostgreSQL needs hash- or merge-joinable keys)
        cols = ", ".join(group)
        ctes.append("keys as (\n" + "\nunion\n".join(f"    select {cols} from {a}" for a in aliases) + "\n)")
        select_cols = [f"keys.{g} as {g}" for g in group]
        from_sql = "keys"
        for alias in aliases:
            on = " and ".join(plan.dialect.same(f"keys.{g}", f"{alias}.{g}") for g in group)
            from_sql += f"\nleft join {alias} on {on}"
    else:
        select_cols = [f"{aliases[0]}.{g} as {g}" for g in group]
        from_sql = "\ncross join ".join(aliases)
    select_cols += [f"{expr} as {name}" for name, expr in plan.select]
    sql = "with " + ",\n".join(ctes) + "\nselect\n    " + ",\n    ".join(select_cols) + f"\nfrom {from_sql}"
    if plan.order_by:
        sql += "\norder by " + ", ".join(plan.order_by)
    if plan.limit is not None:
        sql += f"\nlimit {int(plan.limit)}"
    return sql


@dataclass(slots=True)
class _Offset:
    window: str | None = None
    to_grain: str | None = None


@dataclass(slots=True)
class _Planner:
    graph: SemanticGraph
    query: Query
    dialect: Dialect
    relations: dict[str, str] | None  # placeholder -> relation, when writing placeholders
    prefix: str = ""
    sources: dict[tuple[object, ...], Source] = field(default_factory=dict)

    def plan(self) -> Plan:
        query, graph = self.query, self.graph
        if not query.metrics:
            raise UsageError("give at least one metric", hint="--metrics name[,name]")
        for name in query.metrics:
            if name not in graph.metrics:
                raise UsageError(f"metric {name!r} is not defined", hint=did_you_mean(name, graph.metrics)
                                 or f"metrics: {', '.join(sorted(graph.metrics)) or 'none'}")
            allowed = graph.metrics[name].time_grains
            for item in query.group_by:
                parts, grain = split_grain(item)
                if allowed and parts == ["metric_time"] and (grain or "day") not in allowed:
                    raise UsageError(f"metric {name!r} may be asked by {', '.join(allowed)} (its time_grains), "
                                     f"not by {grain or 'day'}", hint=f"group by metric_time__{allowed[0]}")
        selected = tuple((column_alias(name), self.metric_expr(name, tuple(query.where))) for name in query.metrics)
        aggregations = tuple(Aggregation(f"{self.prefix}s{i}", render.aggregation(self, source))
                             for i, source in enumerate(self.sources.values()))
        group = tuple(column_alias(g) for g in query.group_by)
        order = []
        known = set(group) | {name for name, _ in selected}
        for item in query.order_by:
            col = column_alias(item.lstrip("-+"))
            if col not in known:
                raise UsageError(f"cannot order by {item!r}: it is neither a metric nor a group-by of the query",
                                 hint="order by one of: " + ", ".join(sorted(known)))
            order.append(f"{col}{' desc' if item.startswith('-') else ''}")
        return Plan(aggregations, group, selected, tuple(order), query.limit, self.dialect,
                    tuple(self.relations.items()) if self.relations else ())

    # -- metrics as expressions over the aggregations ------------------------------------------------------

    def time_grain(self) -> str | None:
        """The finest metric_time grain the query groups by (None when it does not group by metric_time)."""
        grains = []
        for name in self.query.group_by:
            parts, grain = split_grain(name)
            if parts == ["metric_time"]:
                grains.append(grain or "day")
        return min(grains, key=GRAINS.index) if grains else None

    def metric_expr(self, name: str, filters: tuple[str, ...], offset: _Offset | None = None,
                    seen: tuple[str, ...] = ()) -> str:
        if name in seen:
            raise UsageError(f"metric {name!r} refers to itself through {' -> '.join(seen)}")
        metric = self.graph.metrics[name]
        filters = tuple(dict.fromkeys((*filters, *([metric.filter] if metric.filter else []))))
        seen = (*seen, name)
        if metric.type in ("simple", "cumulative"):
            expr = self.measure_column(metric, filters, offset)
            return f"coalesce({expr}, {metric.fill_nulls_with!r})" if metric.fill_nulls_with is not None else expr
        if metric.type == "conversion":
            if offset is not None:
                raise UsageError(f"metric {name!r}: a conversion metric cannot be offset in time")
            return self.conversion_expr(metric, filters)
        if metric.type == "ratio":
            assert metric.numerator is not None and metric.denominator is not None
            num = self.input_expr(metric.numerator, filters, offset, seen)
            den = self.input_expr(metric.denominator, filters, offset, seen)
            return f"cast({num} as {self.dialect.double}) / cast(nullif({den}, 0) as {self.dialect.double})"
        values = {i.alias: self.input_expr(i, filters, offset, seen) for i in metric.inputs}
        if not values:
            return str(metric.expr)
        pattern = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(values, key=len, reverse=True)) + r")\b")
        return "(" + pattern.sub(lambda m: f"({values[m.group(1)]})", str(metric.expr)) + ")"

    def input_expr(self, item: MetricInput, filters: tuple[str, ...], offset: _Offset | None,
                   seen: tuple[str, ...]) -> str:
        if item.filter:
            filters = (*filters, item.filter)
        if item.offset_window or item.offset_to_grain:
            if offset is not None:
                raise UsageError(f"metric {seen[-1]!r}: an offset input inside another offset is not supported")
            offset = _Offset(item.offset_window, item.offset_to_grain)
        return self.metric_expr(item.name, filters, offset, seen)

    def time_join(self, metric: Metric, offset: _Offset | None) -> TimeJoin | None:
        grain = self.time_grain()
        if metric.type == "cumulative":
            if offset is not None:
                raise UsageError(f"metric {metric.name!r}: a cumulative metric cannot be offset in time",
                                 hint="offset a simple metric instead")
            if grain is None:
                if metric.window or metric.grain_to_date:
                    raise UsageError(f"metric {metric.name!r} accumulates over a window: group by metric_time",
                                     hint="add --group-by metric_time__day (or another grain)")
                return None  # over all time: the plain aggregation
            if metric.grain_to_date and GRAINS.index(metric.grain_to_date) < GRAINS.index(grain):
                raise UsageError(f"metric {metric.name!r} accumulates to the {metric.grain_to_date}: it cannot "
                                 f"be asked by the coarser {grain}")
            return TimeJoin("cumulative", grain, metric.window, metric.grain_to_date, period_agg=metric.period_agg)
        if offset is None:
            return None
        if grain is None:
            raise UsageError(f"{', '.join(self.query.metrics)} reads {metric.name!r} at a time offset: group by "
                             "metric_time", hint="add --group-by metric_time__month (or another grain)")
        if offset.window:
            unit = offset.window.split()[1]
            if GRAINS.index(unit) < GRAINS.index(grain):
                return TimeJoin("shift_day", grain, window=offset.window)
            return TimeJoin("shift_period", grain, window=offset.window)
        return TimeJoin("shift_period", grain, to_grain=offset.to_grain)

    def source(self, key: tuple[object, ...], make: Source) -> tuple[str, Source]:
        found = self.sources.get(key)
        if found is None:
            found = self.sources[key] = make
        return f"{self.prefix}s{list(self.sources).index(key)}", found

    def measure_column(self, metric: Metric, filters: tuple[str, ...], offset: _Offset | None) -> str:
        model, measure = self.graph.measure(str(metric.measure))
        time = self.time_join(metric, offset)
        if measure.non_additive is not None and time is not None:
            raise UsageError(f"metric {metric.name!r}: measure {measure.name!r} is not additive over "
                             f"{measure.non_additive.dimension}; it cannot be accumulated or offset")
        alias, source = self.source(("measure", model.name, filters, time, measure.non_additive),
                                    Source(model, filters, time, measure.non_additive))
        if measure not in source.measures:
            source.measures.append(measure)
        return f"{alias}.{column_alias(measure.name)}"

    def conversion_expr(self, metric: Metric, filters: tuple[str, ...]) -> str:
        conv = metric.conversion
        assert conv is not None
        base_model, base = self.graph.measure(conv.base_measure)
        base_col = self.measure_column(replace(metric, type="simple", measure=base.name, filter=None), filters,
                                       None)
        alias, source = self.source(("conversion", metric.name, filters),
                                    Source(base_model, filters, conversion=metric))
        if base not in source.measures:
            source.measures.append(base)
        conversions = f"{alias}.mason_conversions"
        if conv.calculation == "conversions":
            return conversions
        if conv.calculation != "conversion_rate":
            raise UsageError(f"metric {metric.name!r}: calculation {conv.calculation!r} is not known",
                             hint="use conversion_rate or conversions")
        double = self.dialect.double
        return f"cast({conversions} as {double}) / cast(nullif({base_col}, 0) as {double})"

    def metric_subquery(self, name: str, group_by: tuple[str, ...]) -> str:
        """A `{{ Metric('m', group_by=['entity']) }}` filter's value per entity, as a subquery."""
        if name not in self.graph.metrics:
            raise UsageError(f"filter: metric {name!r} is not defined", hint=did_you_mean(name, self.graph.metrics))
        nested = _Planner(self.graph, Query((name,), group_by), self.dialect, self.relations,
                          f"{self.prefix}m{len(self.sources)}_")
        return render_plan(nested.plan())

    def placeholder(self, relation: str) -> str:
        """`relation`, or a placeholder name for it when the SQL is to be transpiled."""
        if self.relations is None:
            return relation
        for placeholder, known in self.relations.items():
            if known == relation:
                return placeholder
        placeholder = f"mason_relation_{len(self.relations)}_"
        self.relations[placeholder] = relation
        return placeholder
