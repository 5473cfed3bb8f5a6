"""One aggregation of a metric query's plan as SQL (DuckDB's spelling; sqlglot transpiles it).

    plain          select <group by>, <aggregates> from <model> src [joins] where ... group by ...
    time spine     the model's rows met with the spine `ts` (cumulative windows, offsets), metric_time read
                   from the spine; a cumulative metric asked by a coarser grain keeps one value per period
    non-additive   only the rows at the last (first) value of the measure's non-additive dimension, per
                   its window groupings and the query's metric_time periods
    conversion     each conversion event matched to the entity's latest base event before it (within the
                   window), counted by the base event's group-by values
"""

from __future__ import annotations

import re
from typing import Protocol

from mason.errors import UsageError
from mason.semantic.dialect import Dialect
from mason.semantic.graph import Measure, SemanticGraph
from mason.semantic.resolve import Resolver, Source, column_alias, grain_sql, split_grain


class _Query(Protocol):
    @property
    def group_by(self) -> tuple[str, ...]: ...

    @property
    def start_time(self) -> str | None: ...

    @property
    def end_time(self) -> str | None: ...


class _Planner(Protocol):
    """What rendering needs of the planner in `mason.semantic.sql` (a protocol, so the two do not import each other)."""

    @property
    def graph(self) -> SemanticGraph: ...

    @property
    def query(self) -> _Query: ...

    @property
    def dialect(self) -> Dialect: ...

    def metric_subquery(self, name: str, group_by: tuple[str, ...]) -> str: ...

    def placeholder(self, relation: str) -> str: ...


def _literal(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?", value.strip()):
        raise UsageError(f"{value!r} is not a date or timestamp", hint="write 2024-01-31 or 2024-01-31T12:00:00")
    return value.strip().replace("T", " ")


def agg_sql(measure: Measure, x: str, dialect: Dialect) -> str:
    if measure.agg in ("median", "percentile"):
        return dialect.percentile(measure.percentile if measure.percentile is not None else 0.5, x)
    return {
        "sum": f"sum({x})", "count": f"count({x})", "count_distinct": f"count(distinct {x})",
        "average": f"avg({x})", "avg": f"avg({x})", "min": f"min({x})", "max": f"max({x})",
        "sum_boolean": f"sum(case when {x} then 1 else 0 end)",
    }[measure.agg]


def _resolver(planner: _Planner, source: Source) -> Resolver:
    spine = planner.graph.time_spine
    return Resolver(planner.graph, source, spine.column if spine else None, planner.metric_subquery,
                    planner.dialect.name)


def _group(planner: _Planner, resolver: Resolver) -> list[tuple[str, str]]:
    return [(column_alias(g), resolver.column(g)) for g in planner.query.group_by]


def _where(planner: _Planner, source: Source, resolver: Resolver) -> list[str]:
    where = [resolver.render_filter(f) for f in source.filters]
    query = planner.query
    if query.start_time or query.end_time:
        time_expr = resolver.metric_time("day")
        if query.start_time:
            where.append(f"{time_expr} >= cast('{_literal(query.start_time)}' as timestamp)")
        if query.end_time:
            where.append(f"{time_expr} <= cast('{_literal(query.end_time)}' as timestamp)")
    return where


def _from(planner: _Planner, source: Source, resolver: Resolver) -> str:
    """The FROM clause: the model (met with the spine when the source has a time join) and its joins."""
    relation = planner.placeholder(source.model.relation)
    time = source.time
    if time is None:
        sql = f"{relation} as src"
    else:
        spine = planner.graph.time_spine
        assert spine is not None
        day, row = f"ts.{spine.column}", resolver.row_time()
        if time.kind == "cumulative":
            conditions = [f"{row} <= {day}"]
            if time.window:
                conditions.append(f"{row} > {day} - {planner.dialect.interval(time.window)}")
            if time.grain_to_date:
                conditions.append(f"{row} >= {grain_sql(day, time.grain_to_date)}")
            sql = (f"{planner.placeholder(spine.relation)} as ts\n    inner join {relation} as src on "
                   + " and ".join(conditions))
        elif time.kind == "shift_day":
            assert time.window
            sql = (f"{planner.placeholder(spine.relation)} as ts\n    inner join {relation} as src on "
                   f"{row} = {day} - {planner.dialect.interval(time.window)}")
        else:
            periods = (f"(select distinct {grain_sql(spine.column, time.grain)} as mason_period "
                       f"from {planner.placeholder(spine.relation)})")
            shift = (f"ts.mason_period - {planner.dialect.interval(time.window)}" if time.window
                     else grain_sql("ts.mason_period", str(time.to_grain)))
            sql = f"{periods} as ts\n    inner join {relation} as src on {grain_sql(row, time.grain)} = {shift}"
    for alias, (target, on) in source.joins.items():
        target_sql = target if target.startswith("(") else planner.placeholder(target)
        sql += f"\n    left join {target_sql} as {alias} on {on}"
    return sql


def _non_additive(planner: _Planner, source: Source, resolver: Resolver, where: list[str]) -> str:
    """The inner join keeping only the rows at the non-additive dimension's last (first) value."""
    nad = source.non_additive
    dim = source.model.dimension(nad.dimension)
    assert dim is not None
    keys = [(f"k{i}", resolver.column(g)) for i, g in enumerate(nad.groupings)]
    keys += [(f"t{i}", resolver.column(g)) for i, g in enumerate(planner.query.group_by)
             if split_grain(g)[0] == ["metric_time"]]
    day = grain_sql(resolver.qualify(dim.expr), "day")
    from_sql = _from(planner, source, resolver)
    cols = [f"{expr} as {alias}" for alias, expr in keys] + [f"{nad.window_choice}({day}) as mason_nad"]
    sub = f"select {', '.join(cols)} from {from_sql}"
    if where:
        sub += " where " + " and ".join(f"({w})" for w in where)
    if keys:
        sub += " group by " + ", ".join(str(i) for i in range(1, len(keys) + 1))
    on = [f"{day} = nad.mason_nad"] + [f"{expr} = nad.{alias}" for alias, expr in keys]
    return f"\n    inner join ({sub}) as nad on " + " and ".join(on)


def aggregation(planner: _Planner, source: Source) -> str:
    if source.conversion is not None:
        return _conversion(planner, source)
    resolver = _resolver(planner, source)
    group = _group(planner, resolver)
    where = _where(planner, source, resolver)
    aggs = [(column_alias(m.name), agg_sql(m, resolver.qualify(m.expr), planner.dialect)) for m in source.measures]
    time = source.time
    periodic = time is not None and time.kind == "cumulative" and time.grain != "day"
    spine = planner.graph.time_spine
    if periodic:
        assert spine is not None
        group = [*group, ("mason_day", f"ts.{spine.column}")]
    nad = _non_additive(planner, source, resolver, where) if source.non_additive is not None else ""
    from_sql = _from(planner, source, resolver) + nad
    cols = [f"{expr} as {alias}" for alias, expr in (*group, *aggs)]
    sql = f"    select\n        {', '.join(cols)}\n    from {from_sql}"
    if where:
        sql += "\n    where " + " and ".join(f"({w})" for w in where)
    if group:
        sql += "\n    group by " + ", ".join(str(i) for i in range(1, len(group) + 1))
    if not periodic:
        return sql
    assert time is not None
    # one value per period of the query's grain, from the daily cumulative values
    keys = [alias for alias, _ in group if alias != "mason_day"]
    partition = f"partition by {', '.join(keys)}"
    frame = f"{partition} order by mason_day rows between unbounded preceding and unbounded following"
    windowed = {
        "first": lambda c: f"first_value({c}) over ({frame})",
        "last": lambda c: f"last_value({c}) over ({frame})",
        "average": lambda c: f"avg({c}) over ({partition})",
    }[time.period_agg]
    outer = [*keys, *(f"{windowed(alias)} as {alias}" for alias, _ in aggs)]
    return f"    select distinct {', '.join(outer)}\n    from (\n{sql}\n    ) as daily"


def _conversion(planner: _Planner, source: Source) -> str:
    """Conversions: each conversion event credited to the entity's latest base event at or before it."""
    metric = source.conversion
    conv = metric.conversion
    base_resolver = _resolver(planner, source)
    group = _group(planner, base_resolver)
    where = _where(planner, source, base_resolver)
    conv_model, conv_measure = planner.graph.measure(conv.conversion_measure)
    conv_source = Source(conv_model, (), measures=[conv_measure])
    conv_resolver = _resolver(planner, conv_source)
    base_entity = source.model.entity(conv.entity)
    conv_entity = conv_model.entity(conv.entity)
    assert base_entity is not None and conv_entity is not None
    base_cols = [f"{expr} as {alias}" for alias, expr in group]
    base_cols += [f"{base_resolver.qualify(base_entity.expr)} as mason_entity", f"{base_resolver.row_time()} as mason_time"]
    conv_cols = [f"{conv_resolver.qualify(conv_entity.expr)} as mason_entity",
                 f"{conv_resolver.row_time()} as mason_time", f"{conv_resolver.qualify(conv_measure.expr)} as mason_value"]
    on = ["b.mason_entity = c.mason_entity", "b.mason_time <= c.mason_time"]
    if conv.window:
        on.append(f"b.mason_time > c.mason_time - {planner.dialect.interval(conv.window)}")
    for i, (base_prop, conv_prop) in enumerate(conv.constant_properties):
        base_cols.append(f"{base_resolver.column(base_prop)} as mason_prop_{i}")
        conv_cols.append(f"{conv_resolver.column(conv_prop)} as mason_prop_{i}")
        on.append(f"b.mason_prop_{i} = c.mason_prop_{i}")
    base_sql = f"select {', '.join(base_cols)} from {_from(planner, source, base_resolver)}"
    if where:
        base_sql += " where " + " and ".join(f"({w})" for w in where)
    conv_sql = (f"select {', '.join(conv_cols)}, row_number() over (order by {conv_resolver.qualify(conv_entity.expr)}) "
                f"as mason_event from {_from(planner, conv_source, conv_resolver)}")
    keys = [alias for alias, _ in group]
    matched = ", ".join([*(f"b.{k}" for k in keys), "c.mason_value",
                         "row_number() over (partition by c.mason_event order by b.mason_time desc) as mason_rank"])
    sql = (f"    select {', '.join([*keys, agg_sql(conv_measure, 'm.mason_value', planner.dialect) + ' as mason_conversions'])}\n"
           f"    from (\n        select {matched}\n        from ({base_sql}) as b\n"
           f"        inner join ({conv_sql}) as c on {' and '.join(on)}\n    ) as m\n    where m.mason_rank = 1")
    if keys:
        sql += "\n    group by " + ", ".join(keys)
    return sql
