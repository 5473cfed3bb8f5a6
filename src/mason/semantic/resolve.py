"""Names in a metric query (group-bys, filter templates) as SQL over one aggregation's rows.

An aggregation reads one semantic model's relation (aliased `src`), possibly met with the time spine (`ts`),
and joins other semantic models as its names need them: `customer__region` joins the model whose primary
entity is `customer` through the source's `customer` entity, `customer__country__continent` goes one hop
further. Joins only go to a primary, unique or natural entity, so no join fans the rows out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2

from mason.errors import UsageError
from mason.semantic.graph import GRAINS, Dimension, Measure, SemanticGraph, SemanticModel

if TYPE_CHECKING:
    from collections.abc import Callable

_JOINABLE = ("primary", "unique", "natural")


@dataclass(frozen=True, slots=True)
class TimeJoin:
    """How an aggregation's rows meet the time spine.

    cumulative:   each spine day collects the rows up to it (within `window`, or since the start of its
                  `grain_to_date` period; all earlier rows when neither is set);
    shift_day:    each spine day takes the rows `window` earlier (an offset finer than the query's grain);
    shift_period: each spine period (at `grain`) takes the rows of the period `window` earlier, or of the
                  start of its `to_grain` period.
    """

    kind: str
    grain: str  # the query's finest metric_time grain
    window: str | None = None
    grain_to_date: str | None = None
    to_grain: str | None = None
    period_agg: str = "first"


@dataclass(slots=True)
class Source:
    """One aggregation being planned: a semantic model's rows, filtered one way, met with the time spine one
    way, with the joins its names need and the measures it aggregates."""

    model: SemanticModel
    filters: tuple[str, ...]
    time: TimeJoin | None = None
    non_additive: Any = None  # the NonAdditive of its measures
    conversion: Any = None  # the conversion Metric this aggregation counts the conversions of
    measures: list[Measure] = field(default_factory=list)
    joins: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (relation sql, on)


@functools.lru_cache(maxsize=4096)
def qualify(expr: str, alias: str = "src", dialect: str = "duckdb") -> str:
    """A semantic model's column expression (in the warehouse's dialect) read from the table aliased `alias`:
    every column it names is qualified with the alias (a bare column cheaply, an expression through sqlglot;
    one sqlglot cannot read is left as written)."""
    if re.fullmatch(r"[A-Za-z_]\w*", expr):
        return f"{alias}.{expr}"
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(expr, read=dialect)
    except sqlglot.errors.SqlglotError:
        return expr
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(alias))
    return tree.sql(dialect=dialect)


def column_alias(name: str) -> str:
    """A query name (`metric_time__month`, `customer__region`) as a column name."""
    return re.sub(r"\W", "_", name.strip())


def grain_sql(expr: str, grain: str) -> str:
    return f"date_trunc('{grain}', {expr})"


def split_grain(name: str) -> tuple[list[str], str | None]:
    parts = name.split("__")
    if len(parts) > 1 and parts[-1] in GRAINS:
        return parts[:-1], parts[-1]
    return parts, None


class Resolver:
    """Group-by names and filter references, as SQL over one source (adding the joins they need)."""

    def __init__(self, graph: SemanticGraph, source: Source, spine_column: str | None = None,
                 metric_subquery: Callable[[str, tuple[str, ...]], str] | None = None,
                 dialect: str = "duckdb") -> None:
        self.graph = graph
        self.source = source
        self.spine_column = spine_column
        self.metric_subquery = metric_subquery
        self.dialect = dialect

    def qualify(self, expr: str, alias: str = "src") -> str:
        return qualify(expr, alias, self.dialect)

    def time_dimension(self) -> Dimension:
        """The dimension metric_time stands for in this source (its measures' agg_time_dimension)."""
        model = self.source.model
        names = {m.agg_time_dimension for m in self.source.measures} - {None} or {model.default_time}
        name = next(iter(sorted(n for n in names if n)), None)
        dim = model.dimension(str(name)) if name else None
        if dim is None:
            raise UsageError(f"semantic model {model.name!r} has no time dimension for metric_time",
                             hint="set defaults: agg_time_dimension (or the measure's agg_time_dimension)")
        return dim

    def row_time(self) -> str:
        """The source row's metric_time at day grain (what the time spine is joined on)."""
        return grain_sql(self.qualify(self.time_dimension().expr), "day")

    def metric_time(self, grain: str | None) -> str:
        time = self.source.time
        if time is not None:
            base = "ts.mason_period" if time.kind == "shift_period" else f"ts.{self.spine_column}"
            finest = time.grain if time.kind == "shift_period" else "day"
            want = grain or finest
            return base if want == finest and time.kind == "shift_period" else grain_sql(base, want)
        dim = self.time_dimension()
        return grain_sql(self.qualify(dim.expr), grain or dim.granularity or "day")

    def column(self, name: str) -> str:
        parts, grain = split_grain(name)
        model = self.source.model
        if parts == ["metric_time"]:
            return self.metric_time(grain)
        if len(parts) == 1:
            entity = model.entity(parts[0])
            if entity is not None:
                return self.qualify(entity.expr)
            dim = model.dimension(parts[0])
            if dim is None:
                raise UsageError(f"{name!r} is not a dimension or entity of semantic model {model.name!r}",
                                 hint="name dimensions as entity__dimension, e.g. customer__region")
            return self._dim_sql(self.qualify(dim.expr), dim, grain)
        *path, final = parts
        own = model.entity(path[0])
        local = path[0] == model.dimension_prefix or own is not None and own.type in _JOINABLE
        if len(path) == 1 and local and model.dimension(final):
            dim = model.dimension(final)
            assert dim is not None
            return self._dim_sql(self.qualify(dim.expr), dim, grain)
        if own is None:
            raise UsageError(f"{name!r}: semantic model {model.name!r} has no entity {path[0]!r} to join on",
                             hint=f"its entities: {', '.join(e.name for e in model.entities) or 'none'}")
        current, alias = model, "src"
        for i, entity_name in enumerate(path):
            here = current.entity(entity_name)
            if here is None:
                raise UsageError(f"{name!r}: semantic model {current.name!r} has no entity {entity_name!r}",
                                 hint=f"its entities: {', '.join(e.name for e in current.entities) or 'none'}")
            last = i == len(path) - 1
            target = self._joined(current, entity_name, final if last else None,
                                  path[i + 1] if not last else None, name)
            key = target.entity(entity_name)
            assert key is not None
            join_alias = "j_" + "_".join(path[:i + 1])
            on = f"{self.qualify(here.expr, alias)} = {self.qualify(key.expr, join_alias)}"
            self.source.joins.setdefault(join_alias, (target.relation, on))
            current, alias = target, join_alias
        dim = current.dimension(final)
        if dim is not None:
            return self._dim_sql(self.qualify(dim.expr, alias), dim, grain)
        entity = current.entity(final)
        assert entity is not None
        return self.qualify(entity.expr, alias)

    def _joined(self, current: SemanticModel, entity_name: str, final: str | None, next_entity: str | None,
                name: str) -> SemanticModel:
        """The model `entity_name` leads to from `current`: the one with it as its primary (unique, natural)
        entity and the dimension (or the next entity) the name goes on to."""
        for other in self.graph.models.values():
            key = other.entity(entity_name)
            if other is current or key is None or key.type not in _JOINABLE:
                continue
            if final is not None and (other.dimension(final) is not None or other.entity(final) is not None):
                return other
            if next_entity is not None and other.entity(next_entity) is not None:
                return other
        what = f"a dimension {final!r}" if final is not None else f"an entity {next_entity!r}"
        raise UsageError(f"{name!r}: no semantic model has {entity_name!r} as its primary entity and {what}",
                         hint="joins go from a foreign entity to a primary one (a join that would fan out the "
                              "rows is not made)")

    def _dim_sql(self, expr: str, dim: Dimension, grain: str | None) -> str:
        if dim.type == "time":
            return grain_sql(expr, grain or dim.granularity or "day")
        return expr

    def render_filter(self, text: str) -> str:
        """A `where` with MetricFlow's templates: Dimension, TimeDimension, Entity and Metric(...)."""
        if "{{" not in text:
            return text

        def dimension(name: str, entity_path: object = None) -> str:
            return self.column(name)

        def time_dimension(name: str, grain: str | None = None, entity_path: object = None) -> str:
            return self.column(f"{name}__{grain}" if grain else name)

        def metric(name: str, group_by: list[str] | tuple[str, ...] = ()) -> str:
            if self.metric_subquery is None:
                raise UsageError(f"Metric({name!r}) cannot be used here")
            entities = tuple([group_by] if isinstance(group_by, str) else group_by)
            if not entities:
                raise UsageError(f"Metric({name!r}) needs group_by=['entity']: the entity it is joined on")
            sql = self.metric_subquery(name, entities)
            alias = f"mq_{len(self.source.joins)}"
            on = " and ".join(f"{self.column(e)} = {alias}.{column_alias(e)}" for e in entities)
            self.source.joins.setdefault(alias, (f"({sql})", on))
            return f"{alias}.{column_alias(name)}"

        env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
        try:
            return env.from_string(text).render(Dimension=dimension, TimeDimension=time_dimension,
                                                Entity=dimension, Metric=metric)
        except jinja2.TemplateError as exc:
            raise UsageError(f"cannot read the filter {text!r}: {exc}",
                             hint="write {{ Dimension('entity__dimension') }} = 'value'") from exc
