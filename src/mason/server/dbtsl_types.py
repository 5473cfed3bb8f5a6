"""The dbt Semantic Layer API's GraphQL enums, inputs and plain output types, with dbt's names (the names
dbt-sl-sdk's fragments select `on`); the types with resolvers and the schema are in `mason.server.dbtsl`."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, NewType

import strawberry

if TYPE_CHECKING:
    BigInt = int
else:
    BigInt = strawberry.scalar(NewType("BigInt", int), name="BigInt", serialize=int, parse_value=int,
                               description="dbt's environment id (any is accepted: Mason serves one project)")
NOT_AUTHORIZED = "User is not authorized"  # the message dbt-sl-sdk turns into AuthError


# -- enums (dbt's names and values) ----------------------------------------------------------------------

@strawberry.enum(name="TimeGranularity")
class TimeGranularity(Enum):
    NANOSECOND = "NANOSECOND"
    MICROSECOND = "MICROSECOND"
    MILLISECOND = "MILLISECOND"
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.enum(name="DatePart")
class DatePart(Enum):
    DOY = "DOY"
    DOW = "DOW"
    DAY = "DAY"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.enum(name="MetricType")
class MetricType(Enum):
    UNKNOWN = "UNKNOWN"
    SIMPLE = "SIMPLE"
    RATIO = "RATIO"
    CUMULATIVE = "CUMULATIVE"
    DERIVED = "DERIVED"
    CONVERSION = "CONVERSION"


@strawberry.enum(name="DimensionType")
class DimensionType(Enum):
    UNKNOWN = "UNKNOWN"
    CATEGORICAL = "CATEGORICAL"
    TIME = "TIME"


@strawberry.enum(name="EntityType")
class EntityType(Enum):
    UNKNOWN = "UNKNOWN"
    FOREIGN = "FOREIGN"
    NATURAL = "NATURAL"
    PRIMARY = "PRIMARY"
    UNIQUE = "UNIQUE"


@strawberry.enum(name="AggregationType")
class AggregationType(Enum):
    UNKNOWN = "UNKNOWN"
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT_DISTINCT = "COUNT_DISTINCT"
    SUM_BOOLEAN = "SUM_BOOLEAN"
    AVERAGE = "AVERAGE"
    PERCENTILE = "PERCENTILE"
    MEDIAN = "MEDIAN"
    COUNT = "COUNT"


@strawberry.enum(name="QueryStatus")
class QueryStatus(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPILED = "COMPILED"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"


@strawberry.enum(name="SqlDialect")
class SqlDialect(Enum):  # dbt's, with DuckDB (the SDK reads a value it does not know as UNKNOWN)
    UNKNOWN = "UNKNOWN"
    DUCKDB = "DUCKDB"
    POSTGRES = "POSTGRES"
    APACHE_SPARK = "APACHE_SPARK"


@strawberry.enum(name="SqlEngine")
class SqlEngine(Enum):
    UNKNOWN = "UNKNOWN"
    DUCKDB = "DUCKDB"
    POSTGRES = "POSTGRES"
    APACHE_SPARK = "APACHE_SPARK"


@strawberry.enum(name="ExportDestinationType")
class ExportDestinationType(Enum):
    UNKNOWN = "UNKNOWN"
    TABLE = "TABLE"
    VIEW = "VIEW"


@strawberry.enum(name="PandasJsonOrient")
class PandasJsonOrient(Enum):
    SPLIT = "SPLIT"
    RECORDS = "RECORDS"
    INDEX = "INDEX"
    COLUMNS = "COLUMNS"
    VALUES = "VALUES"
    TABLE = "TABLE"


def member(enum: Any, value: str | None) -> Any:
    """`enum`'s member named `value` (any case), else its UNKNOWN."""
    key = (value or "").upper()
    return enum[key] if key in enum.__members__ else enum.UNKNOWN


# -- inputs ----------------------------------------------------------------------------------------------

@strawberry.input(name="MetricInput")
class MetricInput:
    name: str


@strawberry.input(name="GroupByInput")
class GroupByInput:
    name: str
    grain: TimeGranularity | None = None  # deprecated by dbt for timeGranularity; both are read
    time_granularity: str | None = None
    date_part: DatePart | None = None


@strawberry.input(name="WhereInput")
class WhereInput:
    sql: str


@strawberry.input(name="OrderByInput")
class OrderByInput:
    metric: MetricInput | None = None
    group_by: GroupByInput | None = None
    descending: bool = False


# -- output types ----------------------------------------------------------------------------------------

@strawberry.type(name="Dimension")
class GqlDimension:
    name: str
    qualified_name: str
    description: str | None
    type: DimensionType
    label: str | None
    is_partition: bool
    expr: str | None
    queryable_granularities: list[TimeGranularity]
    queryable_time_granularities: list[str]


@strawberry.type(name="Measure")
class GqlMeasure:
    name: str
    agg_time_dimension: str | None
    agg: AggregationType
    expr: str


@strawberry.type(name="Entity")
class GqlEntity:
    name: str
    description: str | None
    type: EntityType
    role: str
    expr: str


@strawberry.type(name="WhereFilter")
class GqlWhereFilter:
    where_sql_template: str


@strawberry.type(name="SavedQueryMetricParam")
class GqlSavedQueryMetricParam:
    name: str


@strawberry.type(name="SavedQueryGroupByParam")
class GqlSavedQueryGroupByParam:
    name: str
    grain: TimeGranularity | None
    time_granularity: str | None
    date_part: DatePart | None


@strawberry.type(name="SavedQueryQueryParams")
class GqlSavedQueryQueryParams:
    metrics: list[GqlSavedQueryMetricParam]
    group_by: list[GqlSavedQueryGroupByParam]
    where: GqlWhereFilter | None


@strawberry.type(name="ExportConfig")
class GqlExportConfig:
    alias: str | None
    schema: str | None
    export_as: ExportDestinationType


@strawberry.type(name="Export")
class GqlExport:
    name: str
    config: GqlExportConfig


@strawberry.type(name="SavedQuery")
class GqlSavedQuery:
    name: str
    description: str | None
    label: str | None
    query_params: GqlSavedQueryQueryParams
    exports: list[GqlExport]


@strawberry.type(name="EnvironmentInfo")
class GqlEnvironmentInfo:
    sql_dialect: SqlDialect
    dialect: SqlEngine
    has_metrics_defined: bool
    dialect_supported_by_slg: bool


@strawberry.type(name="CreateQueryResult")
class GqlCreateQueryResult:
    query_id: str


@strawberry.type(name="CompileSqlResult")
class GqlCompileSqlResult:
    sql: str
