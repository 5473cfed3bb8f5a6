"""GraphQL over the semantic layer, in the simple shape tutorials show:

    query { metrics(metrics: ["total_revenue"], groupBy: ["customer_segment"],
                    where: [{sql: "order_date >= '2024-01-01'"}]) { columns data sql } }

plus `metricList { name type label description }` and `dimensionList { name type }`. The route checks the
bearer token before GraphQL sees the request; filters go through the same check as the JSON API (here a bare
dimension name, as the older metric spec writes them, counts as a dimension).
"""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from mason.errors import MasonError
from mason.semantic.sql import Query as MetricQuery


@strawberry.input
class WhereInput:
    sql: str


@strawberry.type
class MetricInfo:
    name: str
    type: str
    label: str
    description: str


@strawberry.type
class DimensionInfo:
    name: str
    type: str


@strawberry.type
class MetricResult:
    columns: list[str]
    data: JSON  # rows as objects, column name -> value
    sql: str
    cached: bool


@strawberry.type
class Query:
    @strawberry.field
    def metrics(self, info: Info, metrics: list[str], group_by: list[str] | None = None,
                where: list[WhereInput] | None = None, order_by: list[str] | None = None,
                limit: int | None = None, start_time: str | None = None,
                end_time: str | None = None) -> MetricResult:
        service, token = info.context["service"], info.context["token"]
        outside = [m for m in metrics if not token.allows(m)]
        if outside:
            raise PermissionError(f"this token may not query {', '.join(outside)}")
        q = MetricQuery(tuple(metrics), tuple(group_by or ()), tuple(w.sql for w in where or ()),
                        tuple(order_by or ()), limit, start_time, end_time)
        try:
            result = service.query(q, bare_dimensions=True)
        except MasonError as exc:
            raise ValueError(exc.render()) from None
        columns = result["columns"]
        rows = [dict(zip(columns, row)) for row in result["rows"]]
        return MetricResult(columns=columns, data=cast(JSON, rows),
                            sql=result["sql"], cached=result["cached"])

    @strawberry.field
    def metric_list(self, info: Info) -> list[MetricInfo]:
        token = info.context["token"]
        return [MetricInfo(name=m.name, type=m.type, label=m.label, description=m.description)
                for m in sorted(info.context["service"].graph.metrics.values(), key=lambda m: m.name)
                if token.allows(m.name)]

    @strawberry.field
    def dimension_list(self, info: Info) -> list[DimensionInfo]:
        return [DimensionInfo(name=n, type=t) for n, t in info.context["service"].graph.dimension_names()]


SCHEMA = strawberry.Schema(query=Query)


def execute(body: Any, context: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL request body ({"query": ..., "variables": ...}) to its response body (run in a worker
    thread: the resolvers query the warehouse)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"data": None, "errors": [{"message": "the body must be {\"query\": \"...\"}"}]}
    result = SCHEMA.execute_sync(body["query"], variable_values=body.get("variables"), context_value=context,
                                 operation_name=body.get("operationName"))
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [{"message": str(e.message), "path": e.path} for e in result.errors]
    return out
