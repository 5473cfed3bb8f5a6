"""dbt's Semantic Layer GraphQL API at `POST /api/graphql`, so that the official dbt-sl-sdk client works
against `mason serve` with only its URL changed.

    query    environmentInfo, metrics, dimensions(metrics), measures(metrics), entities(metrics),
             savedQueries, queryableGranularities(metrics), metricsForDimensions(dimensions),
             query(queryId, pageNum) { queryId status sql error totalPages arrowResult jsonResult(orient, encoded) }
    mutation createQuery(metrics | savedQuery, groupBy, where, orderBy, limit) { queryId },
             compileSql(same) { sql }, cancelQuery(queryId), createDimensionValuesQuery(metrics, groupBy)

Every operation takes the `environmentId: BigInt!` dbt asks for; Mason serves one project, so any id is
accepted. The bearer token is checked before GraphQL sees the request (401 with dbt's "User is not
authorized", which the SDK raises as AuthError); a token scoped to some metrics lists only those and may
query only those. createQuery returns at once and the query runs in the background (`dbtsl_jobs`); filters
are checked (`mason.semantic.filters`) before anything is compiled, and a bad filter or an unknown metric
ends the query as FAILED with the message, which the SDK raises as QueryFailedError.
"""

from __future__ import annotations

import os
from typing import Any

import strawberry
from strawberry.types import Info

from mason.errors import MasonError, UsageError
from mason.semantic.filters import check_filter
from mason.semantic.sql import Query as MetricQuery
from mason.server import dbtsl_catalog as catalog_mod
from mason.server.dbtsl_catalog import Catalog, DimensionInfo, OrderItem, build_query, time_columns
from mason.server.dbtsl_jobs import SUCCESSFUL, Job, JobStore, arrow_stream, json_page, page_count
from mason.server.dbtsl_types import (
    NOT_AUTHORIZED,
    AggregationType,
    BigInt,
    DimensionType,
    EntityType,
    ExportDestinationType,
    GqlCompileSqlResult,
    GqlCreateQueryResult,
    GqlDimension,
    GqlEntity,
    GqlEnvironmentInfo,
    GqlExport,
    GqlExportConfig,
    GqlMeasure,
    GqlSavedQuery,
    GqlSavedQueryGroupByParam,
    GqlSavedQueryMetricParam,
    GqlSavedQueryQueryParams,
    GqlWhereFilter,
    GroupByInput,
    MetricInput,
    MetricType,
    OrderByInput,
    PandasJsonOrient,
    QueryStatus,
    SqlDialect,
    SqlEngine,
    TimeGranularity,
    WhereInput,
    member,
)


@strawberry.type(name="Metric")
class GqlMetric:
    name: str
    description: str | None
    type: MetricType
    label: str
    requires_metric_time: bool
    queryable_granularities: list[TimeGranularity]
    queryable_time_granularities: list[str]
    filter: GqlWhereFilter | None

    @strawberry.field
    def dimensions(self, info: Info) -> list[GqlDimension]:
        return [_dimension(d) for d in _sl(info).catalog.dimensions([self.name])]

    @strawberry.field
    def measures(self, info: Info) -> list[GqlMeasure]:
        return _measures(_sl(info).catalog, [self.name])

    @strawberry.field
    def entities(self, info: Info) -> list[GqlEntity]:
        return _entities(_sl(info).catalog, [self.name])


@strawberry.type(name="QueryResult")
class GqlQueryResult:
    query_id: str
    status: QueryStatus
    sql: str | None
    error: str | None
    total_pages: int | None
    page_num: int
    job: strawberry.Private[Job]
    page_rows: strawberry.Private[int]

    def _rows(self) -> tuple[int, list[list[Any]]]:
        start = (self.page_num - 1) * self.page_rows
        return start, self.job.rows[start:start + self.page_rows]

    @strawberry.field(description="this page of the result as a base64 Arrow IPC stream")
    def arrow_result(self) -> str | None:
        if self.status != QueryStatus.SUCCESSFUL:
            return None
        start, rows = self._rows()
        return arrow_stream(self.job.table().slice(start, len(rows)))

    @strawberry.field(description="this page of the result as pandas' DataFrame.to_json(orient) writes it, "
                                  "base64-encoded unless encoded: false")
    def json_result(self, orient: PandasJsonOrient = PandasJsonOrient.TABLE, encoded: bool = True) -> str | None:
        if self.status != QueryStatus.SUCCESSFUL:
            return None
        _, rows = self._rows()
        return json_page(self.job.columns, rows, self.job.table().schema, orient.value.lower(), encoded)


# -- helpers ---------------------------------------------------------------------------------------------

def _sl(info: Info) -> DbtSemanticLayer:
    return info.context["sl"]  # type: ignore[no-any-return]


def _token(info: Info) -> Any:
    return info.context["token"]


def _grain_enum(grains: tuple[str, ...]) -> list[TimeGranularity]:
    return [TimeGranularity[g.upper()] for g in grains if g.upper() in TimeGranularity.__members__]


def _dimension(d: DimensionInfo) -> GqlDimension:
    return GqlDimension(name=d.name, qualified_name=d.qualified_name, description=None,
                        type=member(DimensionType, d.type), label=None, is_partition=False, expr=d.expr,
                        queryable_granularities=_grain_enum(d.grains), queryable_time_granularities=list(d.grains))


def _measures(catalog: Catalog, metrics: list[str]) -> list[GqlMeasure]:
    return [GqlMeasure(name=m.name, agg_time_dimension=m.agg_time_dimension,
                       agg=AggregationType.AVERAGE if m.agg == "avg" else member(AggregationType, m.agg),
                       expr=m.expr) for m in catalog.measures(metrics)]


def _entities(catalog: Catalog, metrics: list[str]) -> list[GqlEntity]:
    return [GqlEntity(name=e.name, description=None, type=member(EntityType, e.type), role=e.name, expr=e.expr)
            for e in catalog.entities(metrics)]


def _metric(catalog: Catalog, name: str) -> GqlMetric:
    m = catalog.graph.metrics[name]
    grains = catalog.metric_time_grains([name])
    return GqlMetric(name=m.name, description=m.description or None, type=member(MetricType, m.type),
                     label=m.label or m.name, requires_metric_time=False,
                     queryable_granularities=_grain_enum(grains), queryable_time_granularities=list(grains),
                     filter=GqlWhereFilter(where_sql_template=m.filter) if m.filter else None)


def _allowed(info: Info, metrics: list[str] | tuple[str, ...]) -> None:
    token = _token(info)
    outside = [m for m in metrics if not token.allows(m)]
    if outside:
        raise PermissionError(f"this token may not query {', '.join(outside)}")


def _names(metrics: list[MetricInput] | None) -> list[str]:
    return [m.name for m in metrics or ()]


def _grain(g: GroupByInput) -> str | None:
    if g.date_part is not None:
        raise UsageError(f"group by {g.name!r}: datePart is not supported yet", hint="group by a grain instead")
    if g.time_granularity:
        return g.time_granularity.lower()
    return g.grain.value.lower() if g.grain is not None else None


def _request(info: Info, saved_query: str | None, metrics: list[MetricInput] | None,
             group_by: list[GroupByInput] | None, where: list[WhereInput] | None,
             order_by: list[OrderByInput] | None, limit: int | None) -> MetricQuery:
    sl = _sl(info)
    order = [OrderItem(metric=o.metric.name if o.metric else None, group_by=o.group_by.name if o.group_by else None,
                       grain=_grain(o.group_by) if o.group_by else None, descending=o.descending)
             for o in order_by or ()]
    query = build_query(sl.catalog, sl.service.parsed, metrics=_names(metrics) or None,
                        group_by=[(g.name, _grain(g)) for g in group_by or ()], where=[w.sql for w in where or ()],
                        order_by=order, limit=limit, saved_query=saved_query)
    _allowed(info, query.metrics)
    return query


# -- the schema ------------------------------------------------------------------------------------------

@strawberry.type
class Query:
    @strawberry.field
    def environment_info(self, info: Info, environment_id: BigInt) -> GqlEnvironmentInfo:
        sl = _sl(info)
        kind = str(sl.service.parsed.loaded.target.type).lower()
        kind = "apache_spark" if kind == "spark" else kind
        return GqlEnvironmentInfo(sql_dialect=member(SqlDialect, kind), dialect=member(SqlEngine, kind),
                                  has_metrics_defined=bool(sl.service.graph.metrics), dialect_supported_by_slg=True)

    @strawberry.field
    def metrics(self, info: Info, environment_id: BigInt) -> list[GqlMetric]:
        catalog, token = _sl(info).catalog, _token(info)
        return [_metric(catalog, name) for name in catalog.metric_names() if token.allows(name)]

    @strawberry.field
    def dimensions(self, info: Info, environment_id: BigInt, metrics: list[MetricInput]) -> list[GqlDimension]:
        _allowed(info, _names(metrics))
        return [_dimension(d) for d in _sl(info).catalog.dimensions(_names(metrics))]

    @strawberry.field
    def measures(self, info: Info, environment_id: BigInt, metrics: list[MetricInput]) -> list[GqlMeasure]:
        _allowed(info, _names(metrics))
        return _measures(_sl(info).catalog, _names(metrics))

    @strawberry.field
    def entities(self, info: Info, environment_id: BigInt, metrics: list[MetricInput]) -> list[GqlEntity]:
        _allowed(info, _names(metrics))
        return _entities(_sl(info).catalog, _names(metrics))

    @strawberry.field
    def queryable_granularities(self, info: Info, environment_id: BigInt,
                                metrics: list[MetricInput]) -> list[TimeGranularity]:
        _allowed(info, _names(metrics))
        return _grain_enum(_sl(info).catalog.metric_time_grains(_names(metrics)))

    @strawberry.field
    def metrics_for_dimensions(self, info: Info, environment_id: BigInt,
                               dimensions: list[GroupByInput]) -> list[GqlMetric]:
        catalog, token = _sl(info).catalog, _token(info)
        names = [f"{d.name}__{grain}" if (grain := _grain(d)) else d.name for d in dimensions]
        return [_metric(catalog, m) for m in catalog.metrics_for_dimensions(names) if token.allows(m)]

    @strawberry.field
    def saved_queries(self, info: Info, environment_id: BigInt) -> list[GqlSavedQuery]:
        token = _token(info)
        out = []
        for sq in _sl(info).saved_queries():
            if not all(token.allows(m) for m in sq.metrics):
                continue
            where = " and ".join(f"({w})" for w in sq.where) if len(sq.where) > 1 else "".join(sq.where)
            params = GqlSavedQueryQueryParams(
                metrics=[GqlSavedQueryMetricParam(name=m) for m in sq.metrics],
                group_by=[GqlSavedQueryGroupByParam(name=n, grain=next(iter(_grain_enum((g,))), None) if g else None,
                                                    time_granularity=g, date_part=None) for n, g in sq.group_by],
                where=GqlWhereFilter(where_sql_template=where) if where else None)
            exports = [GqlExport(name=n, config=GqlExportConfig(alias=a, schema=s,
                                                               export_as=member(ExportDestinationType, e)))
                       for n, a, s, e in sq.exports]
            out.append(GqlSavedQuery(name=sq.name, description=sq.description, label=sq.label,
                                     query_params=params, exports=exports))
        return out

    @strawberry.field
    def query(self, info: Info, environment_id: BigInt, query_id: str, page_num: int = 1) -> GqlQueryResult:
        sl = _sl(info)
        job = sl.jobs.get(_token(info).name, query_id)
        job.done.wait(sl.poll_wait)  # a short long-poll: most queries are done before the first answer
        status = job.status
        pages = page_count(len(job.rows), sl.page_rows) if status == SUCCESSFUL else None
        if pages is not None and not 1 <= page_num <= pages:
            raise UsageError(f"pageNum {page_num} is outside 1..{pages}")
        return GqlQueryResult(query_id=job.id, status=QueryStatus[status], sql=job.sql, error=job.error,
                              total_pages=pages, page_num=page_num, job=job, page_rows=sl.page_rows)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def create_query(self, info: Info, environment_id: BigInt, saved_query: str | None = None,
                     metrics: list[MetricInput] | None = None, group_by: list[GroupByInput] | None = None,
                     where: list[WhereInput] | None = None, order_by: list[OrderByInput] | None = None,
                     order: list[OrderByInput] | None = None, limit: int | None = None,
                     read_cache: bool | None = True) -> GqlCreateQueryResult:
        query = _request(info, saved_query, metrics, group_by, where, order_by or order, limit)
        return GqlCreateQueryResult(query_id=_sl(info).submit(_token(info).name, query).id)

    @strawberry.mutation
    def compile_sql(self, info: Info, environment_id: BigInt, saved_query: str | None = None,
                    metrics: list[MetricInput] | None = None, group_by: list[GroupByInput] | None = None,
                    where: list[WhereInput] | None = None, order_by: list[OrderByInput] | None = None,
                    order: list[OrderByInput] | None = None, limit: int | None = None,
                    read_cache: bool | None = True) -> GqlCompileSqlResult:
        query = _request(info, saved_query, metrics, group_by, where, order_by or order, limit)
        return GqlCompileSqlResult(sql=_sl(info).compile(query))

    @strawberry.mutation
    def create_dimension_values_query(self, info: Info, environment_id: BigInt, group_by: list[GroupByInput],
                                      metrics: list[MetricInput] | None = None) -> GqlCreateQueryResult:
        sl, token = _sl(info), _token(info)
        groups = [(g.name, _grain(g)) for g in group_by]
        names = _names(metrics)
        if not names:  # the values as the first metric that has all these dimensions sees them
            wanted = [f"{n}__{g}" if g else n for n, g in groups]
            names = [m for m in sl.catalog.metrics_for_dimensions(wanted) if token.allows(m)][:1]
            if not names:
                raise UsageError(f"no metric this token may query has {', '.join(wanted)}")
        query = build_query(sl.catalog, sl.service.parsed, metrics=names, group_by=groups, where=None,
                            order_by=None, limit=None, saved_query=None)
        query = MetricQuery(query.metrics, query.group_by, order_by=query.group_by)
        _allowed(info, query.metrics)
        return GqlCreateQueryResult(query_id=sl.submit(token.name, query, keep=query.group_by).id)

    @strawberry.mutation
    def cancel_query(self, info: Info, environment_id: BigInt, query_id: str) -> GqlQueryResult:
        sl = _sl(info)
        job = sl.jobs.get(_token(info).name, query_id)
        job.finish("FAILED", "the query was cancelled")
        return GqlQueryResult(query_id=job.id, status=QueryStatus[job.status], sql=job.sql, error=job.error,
                              total_pages=None, page_num=1, job=job, page_rows=sl.page_rows)


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Refusals (bad arguments, scopes) are the caller's to read, not the server log's: only unexpected
        errors are logged, with their traceback."""
        unexpected = [e for e in errors if e.original_error is not None
                      and not isinstance(e.original_error, MasonError | PermissionError)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


SCHEMA = _Schema(query=Query, mutation=Mutation)


# -- the endpoint ----------------------------------------------------------------------------------------

class DbtSemanticLayer:
    """The API over one Service: its catalog, its background queries and the route's handler."""

    def __init__(self, service: Any, page_rows: int | None = None, poll_wait: float = 1.0) -> None:
        self.service = service
        self.jobs = JobStore()
        self.page_rows = page_rows or int(os.environ.get("MASON_SL_PAGE_ROWS") or 1024)  # dbt pages by 1024
        self.poll_wait = poll_wait
        self._catalog: Catalog | None = None
        self._saved: list[catalog_mod.SavedQueryInfo] | None = None

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None or self._catalog.graph is not self.service.graph:
            self._catalog, self._saved = Catalog(self.service.graph), None
        return self._catalog

    def saved_queries(self) -> list[catalog_mod.SavedQueryInfo]:
        _ = self.catalog  # a new graph makes a new catalog and drops these
        if self._saved is None:
            self._saved = catalog_mod.saved_queries(self.service.parsed)
        return self._saved

    def compile(self, query: MetricQuery) -> str:
        """The SQL `Service.query` would send for `query` (its row cap applied), filters checked first."""
        from dataclasses import replace

        from mason.adapters.target import SQL_DIALECTS
        from mason.semantic.sql import compile_query

        for text in query.where:
            check_filter(text)
        cap = self.service.max_rows
        query = replace(query, limit=min(query.limit, cap) if query.limit is not None else cap)
        return compile_query(self.service.graph, query, SQL_DIALECTS.get(self.service.parsed.loaded.target.type))

    def submit(self, owner: str, query: MetricQuery, keep: tuple[str, ...] | None = None) -> Job:
        """Run `query` in the background; `keep`: only these columns, their distinct rows."""
        catalog = self.catalog

        def work(job: Job) -> None:
            job.compiled(self.compile(query))
            result = self.service.query(query)
            columns, rows = list(result["columns"]), [list(r) for r in result["rows"]]
            if keep is not None:
                index = [columns.index(c) for c in keep if c in columns]
                columns = [columns[i] for i in index]
                rows = [list(r) for r in dict.fromkeys(tuple(row[i] for i in index) for row in rows)]
            job.sql, job.columns, job.rows = result["sql"], columns, rows
            job.time_columns = time_columns(catalog, query)

        return self.jobs.submit(owner, work)

    def execute(self, body: Any, token: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return {"data": None, "errors": [{"message": "the body must be {\"query\": \"...\"}"}]}
        result = SCHEMA.execute_sync(body["query"], variable_values=body.get("variables"),
                                     context_value={"sl": self, "token": token},
                                     operation_name=body.get("operationName"))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [{"message": str(e.message), "path": e.path} for e in result.errors]
        return out

    async def handle(self, request: Any, token: Any) -> Any:
        """The route: `token` is the caller's Token, or the 401 response refusing it."""
        import anyio.to_thread
        from starlette.responses import JSONResponse

        from mason.server.tokens import Token

        if not isinstance(token, Token):
            return JSONResponse({"data": None, "errors": [{"message": NOT_AUTHORIZED}]}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"data": None, "errors": [{"message": "the body must be JSON"}]}, status_code=400)
        result = await anyio.to_thread.run_sync(self.execute, body, token)
        ok = "errors" not in result or result.get("data") is not None
        return JSONResponse(result, status_code=200 if ok else 400)
