"""A metric query (metrics × group by × where × order × limit) to one SQL statement.

Each measure is aggregated in the semantic model that defines it, grouped by the requested dimensions
(joined from other semantic models through entities, foreign → primary only, so no join fans out); measures
of one model with one filter share an aggregation; the aggregations are joined on the group-by columns and
the metrics computed on top (ratio: numerator / denominator; derived: its expression over its inputs).
Group-by names follow MetricFlow: `metric_time`, `metric_time__month`, `customer__region`,
`order_id__order_date__week`, an entity name; a bare dimension name is accepted when one model has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jinja2

from mason.errors import UsageError, did_you_mean
from mason.semantic.graph import GRAINS, Dimension, Measure, Metric, SemanticGraph, SemanticModel


def _literal(value: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?", value.strip()):
        raise UsageError(f"{value!r} is not a date or timestamp", hint="write 2024-01-31 or 2024-01-31T12:00:00")
    return value.strip().replace("T", " ")


@dataclass(frozen=True, slots=True)
class Query:
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    start_time: str | None = None  # metric_time bounds, inclusive (ISO dates or timestamps)
    end_time: str | None = None


@dataclass(slots=True)
class _Source:
    """One aggregation: a semantic model, filtered one way, with the joins its dimensions need."""

    model: SemanticModel
    filters: tuple[str, ...]
    measures: list[Measure] = field(default_factory=list)
    joins: dict[str, tuple[SemanticModel, str]] = field(default_factory=dict)  # alias -> (model, on)


def compile_query(graph: SemanticGraph, query: Query, dialect: str | None = None) -> str:
    """The query's SQL: written in DuckDB's spelling, transpiled by sqlglot to `dialect` when given."""
    sql, relations = _compile(graph, query)
    if dialect is not None and dialect != "duckdb":
        import sqlglot

        sql = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]
    for placeholder, relation in relations.items():
        sql = sql.replace(placeholder, relation)
    return sql


def _compile(graph: SemanticGraph, query: Query) -> tuple[str, dict[str, str]]:
    if not query.metrics:
        raise UsageError("give at least one metric", hint="--metrics name[,name]")
    for name in query.metrics:
        if name not in graph.metrics:
            raise UsageError(f"metric {name!r} is not defined", hint=did_you_mean(name, graph.metrics)
                             or f"metrics: {', '.join(sorted(graph.metrics)) or 'none'}")
    sources: dict[tuple[str, tuple[str, ...]], _Source] = {}
    measure_ref: dict[tuple[str, tuple[str, ...]], str] = {}

    def measure_column(metric: Metric) -> str:
        model, measure = graph.measure(str(metric.measure))
        filters = tuple(f for f in (*query.where, metric.filter) if f)
        key = (model.name, filters)
        source = sources.get(key)
        if source is None:
            source = sources[key] = _Source(model, filters)
        if (measure.name, filters) not in measure_ref:
            source.measures.append(measure)
            measure_ref[(measure.name, filters)] = f"s{list(sources).index(key)}.{_alias(measure.name)}"
        return measure_ref[(measure.name, filters)]

    def metric_expr(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in seen:
            raise UsageError(f"metric {name!r} refers to itself through {' -> '.join(seen)}")
        metric = graph.metrics[name]
        if metric.type == "simple":
            return measure_column(metric)
        if metric.type == "ratio":
            num = metric_expr(str(metric.numerator), (*seen, name))
            den = metric_expr(str(metric.denominator), (*seen, name))
            return f"cast({num} as double precision) / nullif({den}, 0)"
        expr = str(metric.expr)
        for input_name, alias in metric.inputs:
            expr = re.sub(rf"\b{re.escape(alias)}\b", f"({metric_expr(input_name, (*seen, name))})", expr)
        return expr

    selected = [(name, metric_expr(name)) for name in query.metrics]
    group_names = [_alias(g) for g in query.group_by]
    ctes = []
    relations: dict[str, str] = {}
    for i, source in enumerate(sources.values()):
        ctes.append(f"s{i} as (\n{_aggregate(graph, source, query, relations)}\n)")
    aliases = [f"s{i}" for i in range(len(sources))]
    if len(aliases) > 1 and group_names:
        # every group-by combination any aggregation has, then each aggregation joined to it (a full outer
        # join on nullable keys is not possible everywhere: PostgreSQL needs hash- or merge-joinable keys)
        cols = ", ".join(group_names)
        ctes.append("keys as (\n" + "\nunion\n".join(f"    select {cols} from {a}" for a in aliases) + "\n)")
        select_cols = [f"keys.{g} as {g}" for g in group_names]
        from_sql = "keys"
        for alias in aliases:
            on = " and ".join(f"keys.{g} is not distinct from {alias}.{g}" for g in group_names)
            from_sql += f"\nleft join {alias} on {on}"
    else:
        select_cols = [f"{aliases[0]}.{g} as {g}" for g in group_names]
        from_sql = "\ncross join ".join(aliases)
    select_cols += [f"{expr} as {_alias(name)}" for name, expr in selected]
    sql = "with " + ",\n".join(ctes) + "\nselect\n    " + ",\n    ".join(select_cols) + f"\nfrom {from_sql}"
    if query.order_by:
        known = set(group_names) | {_alias(m) for m in query.metrics}
        parts = []
        for item in query.order_by:
            desc = item.startswith("-")
            col = _alias(item.lstrip("-+"))
            if col not in known:
                raise UsageError(f"cannot order by {item!r}: it is neither a metric nor a group-by of the query",
                                 hint="order by one of: " + ", ".join(sorted(known)))
            parts.append(f"{col}{' desc' if desc else ''}")
        sql += "\norder by " + ", ".join(parts)
    if query.limit is not None:
        sql += f"\nlimit {int(query.limit)}"
    return sql, relations


def _alias(name: str) -> str:
    return re.sub(r"\W", "_", name.strip())


def _relation(relation: str, relations: dict[str, str]) -> str:
    """A placeholder table name for `relation` (quoted in the warehouse's way, which sqlglot would misread),
    put back after transpiling."""
    placeholder = f"mason_relation_{len(relations)}_"
    relations[placeholder] = relation
    return placeholder


def _aggregate(graph: SemanticGraph, source: _Source, query: Query, relations: dict[str, str]) -> str:
    resolver = _Resolver(graph, source)
    cols = [f"{resolver.column(g)} as {_alias(g)}" for g in query.group_by]
    where = [resolver.render_filter(f) for f in source.filters]
    if query.start_time or query.end_time:
        time_expr = resolver.column("metric_time__day")
        if query.start_time:
            where.append(f"{time_expr} >= cast('{_literal(query.start_time)}' as timestamp)")
        if query.end_time:
            where.append(f"{time_expr} <= cast('{_literal(query.end_time)}' as timestamp)")
    aggs = [f"{_agg(m, resolver)} as {_alias(m.name)}" for m in source.measures]
    sql = f"    select\n        {', '.join([*cols, *aggs])}\n    from {_relation(source.model.relation, relations)} as src"
    for alias, (model, on) in source.joins.items():
        sql += f"\n    left join {_relation(model.relation, relations)} as {alias} on {on}"
    if where:
        sql += "\n    where " + " and ".join(f"({w})" for w in where)
    if cols:
        sql += "\n    group by " + ", ".join(str(i) for i in range(1, len(cols) + 1))
    return sql


def _agg(measure: Measure, resolver: _Resolver) -> str:
    x = resolver.qualify(measure.expr)
    return {
        "sum": f"sum({x})", "count": f"count({x})", "count_distinct": f"count(distinct {x})",
        "average": f"avg({x})", "avg": f"avg({x})", "min": f"min({x})", "max": f"max({x})",
        "median": f"percentile_cont(0.5) within group (order by {x})",
        "percentile": f"percentile_cont({measure.percentile if measure.percentile is not None else 0.5}) "
                      f"within group (order by {x})",
        "sum_boolean": f"sum(case when {x} then 1 else 0 end)",
    }[measure.agg]


class _Resolver:
    """Group-by names and filter references, as SQL over one source (adding the joins they need)."""

    def __init__(self, graph: SemanticGraph, source: _Source) -> None:
        self.graph = graph
        self.source = source

    @staticmethod
    def qualify(expr: str, alias: str = "src") -> str:
        """A semantic model's column expression, read from the table aliased `alias`: a bare column is
        qualified, an expression is left as written."""
        if re.fullmatch(r"[A-Za-z_]\w*", expr):
            return f"{alias}.{expr}"
        return expr

    def column(self, name: str) -> str:
        parts = name.split("__")
        model = self.source.model
        grain = parts[-1] if len(parts) > 1 and parts[-1] in GRAINS else None
        if grain:
            parts = parts[:-1]
        if parts == ["metric_time"]:
            time_dim = self._time_dimension(model)
            return self._grain(self.qualify(time_dim.expr), grain or time_dim.granularity or "day")
        if len(parts) == 1:
            entity = model.entity(parts[0])
            if entity is not None:
                return self.qualify(entity.expr)
            dim = model.dimension(parts[0])
            if dim is None:
                raise UsageError(f"{name!r} is not a dimension or entity of semantic model {model.name!r}",
                                 hint="name dimensions as entity__dimension, e.g. customer__region")
            return self._dim_sql(self.qualify(dim.expr), dim, grain)
        if len(parts) > 2:
            raise UsageError(f"{name!r}: joins over more than one entity are not supported yet",
                             hint="group by a dimension of the model itself or of one joined through an entity")
        entity_name, dim_name = parts
        own = model.entity(entity_name)
        if own is not None and own.type in ("primary", "unique", "natural") and model.dimension(dim_name):
            dim = model.dimension(dim_name)
            assert dim is not None
            return self._dim_sql(self.qualify(dim.expr), dim, grain)
        if own is None:
            raise UsageError(f"{name!r}: semantic model {model.name!r} has no entity {entity_name!r} to join on",
                             hint=f"its entities: {', '.join(e.name for e in model.entities) or 'none'}")
        target = self._joined(entity_name, dim_name, name)
        alias = f"j_{entity_name}"
        dim = target.dimension(dim_name)
        assert dim is not None
        key = target.entity(entity_name)
        assert key is not None
        self.source.joins.setdefault(alias, (target, f"{self.qualify(own.expr)} = {self.qualify(key.expr, alias)}"))
        return self._dim_sql(self.qualify(dim.expr, alias), dim, grain)

    def _joined(self, entity_name: str, dim_name: str, name: str) -> SemanticModel:
        for other in self.graph.models.values():
            key = other.entity(entity_name)
            if other is not self.source.model and key is not None and key.type in ("primary", "unique") \
                    and other.dimension(dim_name) is not None:
                return other
        raise UsageError(f"{name!r}: no semantic model has {entity_name!r} as its primary entity and a "
                         f"dimension {dim_name!r}", hint="joins go from a foreign entity to a primary one")

    def _time_dimension(self, model: SemanticModel) -> Dimension:
        names = {m.agg_time_dimension for m in self.source.measures} - {None} or {model.default_time}
        name = next(iter(names), None)
        dim = model.dimension(str(name)) if name else None
        if dim is None:
            raise UsageError(f"semantic model {model.name!r} has no time dimension for metric_time",
                             hint="set defaults: agg_time_dimension (or the measure's agg_time_dimension)")
        return dim

    def _dim_sql(self, expr: str, dim: Dimension, grain: str | None) -> str:
        if dim.type == "time":
            return self._grain(expr, grain or dim.granularity or "day")
        return expr

    @staticmethod
    def _grain(expr: str, grain: str) -> str:
        return f"date_trunc('{grain}', {expr})"

    def render_filter(self, text: str) -> str:
        """A `where` with MetricFlow's templates: Dimension(...), TimeDimension(...), Entity(...)."""
        if "{{" not in text:
            return text

        def dimension(name: str, entity_path: object = None) -> str:
            return self.column(name)

        def time_dimension(name: str, grain: str | None = None, entity_path: object = None) -> str:
            return self.column(f"{name}__{grain}" if grain else name)

        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        try:
            return env.from_string(text).render(Dimension=dimension, TimeDimension=time_dimension,
                                                Entity=dimension)
        except jinja2.TemplateError as exc:
            raise UsageError(f"cannot read the filter {text!r}: {exc}",
                             hint="write {{ Dimension('entity__dimension') }} = 'value'") from exc
