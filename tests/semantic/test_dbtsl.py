"""dbt's Semantic Layer GraphQL API (`POST /api/graphql`) driven by the official dbt-sl-sdk client, unchanged
but for its URL, against `mason serve` started as a user starts it on 127.0.0.1: listings, queries whose
Arrow tables equal SQL written by hand over the raw seeds, paging, compile_sql, saved queries, tokens and
scopes, and filters that try to smuggle SQL (they fail as the SDK's QueryFailedError and never run)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pytest

from .serving import serving
from .test_query import _by_hand, _mason
from .test_query import project as project  # noqa: F401 (the built project fixture)

dbtsl = pytest.importorskip("dbtsl")

from dbtsl import OrderByGroupBy, OrderByMetric  # noqa: E402
from dbtsl.api.graphql.client.sync import SyncGraphQLClient  # noqa: E402
from dbtsl.api.shared.query_params import GroupByParam, GroupByType  # noqa: E402
from dbtsl.error import AuthError, QueryFailedError  # noqa: E402
from dbtsl.models import AggregationType, DimensionType, EntityType, MetricType, SqlEngine  # noqa: E402
from gql.transport.exceptions import TransportQueryError  # noqa: E402

# the SDK's own models warn of their deprecated fields while it decodes the answers
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PAGE_ROWS = 4  # MASON_SL_PAGE_ROWS for the server: the six orders by day come in two pages
URL_FORMAT = "http://{server_host}/api/graphql"
ORDERS = "main.raw_orders"
JOINED = "main.raw_orders o left join main.raw_customers c using (customer_id)"


@pytest.fixture(scope="module")
def tokens(project: Path) -> dict[str, str]:  # noqa: F811
    full = _mason(project, "serve", "token", "create", "sdk")
    scoped = _mason(project, "serve", "token", "create", "orders_only", "--metrics", "orders")
    assert full.returncode == 0 and scoped.returncode == 0, full.stderr + scoped.stderr
    return {"sdk": full.stdout.strip(), "orders_only": scoped.stdout.strip()}


@pytest.fixture(scope="module")
def host(project: Path, tokens: dict[str, str]) -> Iterator[str]:  # noqa: F811
    """`mason serve` on a free port: its host:port, as dbt-sl-sdk takes it."""
    with serving(project, "--max-rows", "100", env={"MASON_SL_PAGE_ROWS": str(PAGE_ROWS)}) as url:
        yield url.removeprefix("http://")


@pytest.fixture()
def sl(host: str, tokens: dict[str, str]) -> Iterator[SyncGraphQLClient]:
    client = SyncGraphQLClient(server_host=host, environment_id=1, auth_token=tokens["sdk"], url_format=URL_FORMAT,
                               lazy=False)
    with client.session():
        yield client


def _rows(table: object) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in table.to_pylist()]  # type: ignore[attr-defined]


def test_environment_metrics_and_their_dimensions(sl: SyncGraphQLClient) -> None:
    env = sl.environment_info()
    assert env.dialect == SqlEngine.DUCKDB and env.has_metrics_defined is True
    metrics = {m.name: m for m in sl.metrics()}
    assert sorted(metrics) == sorted(["revenue", "orders", "buyers", "gifts", "avg_amount", "completed_revenue",
                                      "revenue_per_order", "completed_share", "total_amount"])
    revenue = metrics["revenue"]
    assert revenue.type == MetricType.SIMPLE and revenue.label == "Revenue" and revenue.requires_metric_time is False
    assert metrics["revenue_per_order"].type == MetricType.RATIO
    assert metrics["completed_share"].type == MetricType.DERIVED
    assert revenue.queryable_time_granularities == ["day", "week", "month", "quarter", "year"]
    dims = {d.qualified_name: d for d in revenue.dimensions}
    assert sorted(dims) == ["customer__region", "metric_time", "order__ordered_at", "order__status"]
    assert dims["customer__region"].name == "region" and dims["customer__region"].type == DimensionType.CATEGORICAL
    assert dims["metric_time"].type == DimensionType.TIME
    assert dims["order__ordered_at"].queryable_time_granularities == ["day", "week", "month", "quarter", "year"]
    assert dims["customer__region"].queryable_time_granularities == []
    assert [(m.name, m.agg, m.expr, m.agg_time_dimension) for m in revenue.measures] == [
        ("revenue", AggregationType.SUM, "amount", "ordered_at")]
    assert {(e.name, e.type, e.expr) for e in revenue.entities} == {
        ("order", EntityType.PRIMARY, "order_id"), ("customer", EntityType.FOREIGN, "customer_id")}
    # a ratio reaches its measures through its input metrics
    assert sorted(m.name for m in metrics["revenue_per_order"].measures) == ["order_count", "revenue"]
    # the older spec's metric is a model of its own: its dimensions are bare names
    assert sorted(d.qualified_name for d in metrics["total_amount"].dimensions) == ["metric_time", "ordered_at",
                                                                                    "status"]


def test_dimensions_measures_entities_for_several_metrics(sl: SyncGraphQLClient) -> None:
    shared = [d.qualified_name for d in sl.dimensions(metrics=["revenue", "orders"])]
    assert shared == ["customer__region", "metric_time", "order__ordered_at", "order__status"]
    # metrics of two models share only metric_time
    assert [d.qualified_name for d in sl.dimensions(metrics=["revenue", "total_amount"])] == ["metric_time"]
    assert sorted(m.name for m in sl.measures(metrics=["buyers", "gifts"])) == ["buyers", "gifts"]
    assert sorted(e.name for e in sl.entities(metrics=["orders"])) == ["customer", "order"]
    with pytest.raises(TransportQueryError, match="metric 'revenu' is not defined"):
        sl.dimensions(metrics=["revenu"])


def test_saved_queries_are_listed(sl: SyncGraphQLClient) -> None:
    (saved,) = sl.saved_queries()
    assert saved.name == "completed_by_region"
    assert [m.name for m in saved.query_params.metrics] == ["revenue"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert [(g.name, g.time_granularity) for g in saved.query_params.group_by] == [
            ("metric_time", "month"), ("customer__region", None)]
    assert saved.query_params.where.where_sql_template == "{{ Dimension('order__status') }} = 'completed'"


def test_query_by_month_and_a_joined_dimension_with_filter_order_and_limit(project: Path,  # noqa: F811
                                                                           sl: SyncGraphQLClient) -> None:
    table = sl.query(
        metrics=["revenue", "orders"],
        group_by=[GroupByParam("metric_time", GroupByType.TIME_DIMENSION, "month"), "customer__region"],
        where=["{{ Dimension('order__status') }} <> 'placed'"],
        order_by=[OrderByGroupBy("metric_time", "month", descending=True), OrderByMetric("revenue", True)],
        limit=3)
    assert table.column_names == ["metric_time__month", "customer__region", "revenue", "orders"]
    want = _by_hand(project, "select date_trunc('month', cast(o.ordered_at as date)), c.region, sum(o.amount), "
                             f"count(o.order_id) from {JOINED} where o.status <> 'placed' "
                             "group by 1, 2 order by 1 desc, 3 desc limit 3")
    assert _rows(table) == want and len(want) == 3
    assert str(want[0][0])[:10] == "2024-04-01"
    assert pa.types.is_temporal(table.schema.field("metric_time__month").type)  # typed again, not text


def test_group_by_without_a_grain_is_named_as_metricflow_names_it(project: Path,  # noqa: F811
                                                                 sl: SyncGraphQLClient) -> None:
    # six days in two pages of four rows: the SDK fetches both and joins them
    table = sl.query(metrics=["orders", "revenue_per_order"], group_by=["metric_time"], order_by=["metric_time"])
    assert table.column_names == ["metric_time__day", "orders", "revenue_per_order"]
    want = _by_hand(project, "select date_trunc('day', cast(ordered_at as date)), count(*), sum(amount) / count(*) "
                             f"from {ORDERS} group by 1 order by 1")
    assert _rows(table) == want and len(want) == 6 > PAGE_ROWS


def test_saved_query_and_the_legacy_spec(project: Path, sl: SyncGraphQLClient) -> None:  # noqa: F811
    table = sl.query(saved_query="completed_by_region",
                     order_by=[OrderByGroupBy("metric_time", None), OrderByGroupBy("customer__region", None)])
    want = _by_hand(project, "select date_trunc('month', cast(o.ordered_at as date)), c.region, sum(o.amount) "
                             f"from {JOINED} where o.status = 'completed' group by 1, 2 order by 1, 2")
    assert table.column_names == ["metric_time__month", "customer__region", "revenue"]
    assert _rows(table) == want and len(want) == 4
    legacy = sl.query(metrics=["total_amount"], group_by=["status"], order_by=["-total_amount"],
                      where=["{{ TimeDimension('metric_time', 'DAY') }} >= '2024-02-01'"])
    want = _by_hand(project, f"select status, sum(amount) from {ORDERS} where status != 'returned' "
                             "and cast(ordered_at as date) >= '2024-02-01' group by 1 order by 2 desc")
    assert _rows(legacy) == want and len(want) == 2


def test_compile_sql_runs_nothing(sl: SyncGraphQLClient) -> None:
    sql = sl.compile_sql(metrics=["revenue"], group_by=[GroupByParam("metric_time", GroupByType.TIME_DIMENSION,
                                                                     "year")],
                         where=["{{ Dimension('metric_time').grain('month') }} >= '2024-02-01'"], limit=5)
    assert "date_trunc('year'" in sql and "sum(src.amount)" in sql and "date_trunc('month'" in sql
    assert sql.rstrip().endswith("limit 5")
    with pytest.raises(TransportQueryError, match="one condition only"):
        sl.compile_sql(metrics=["revenue"], where=["{{ Dimension('order__status') }} = 'x'; drop table x"])


def test_a_bad_token_is_the_sdks_auth_error(host: str) -> None:
    client = SyncGraphQLClient(server_host=host, environment_id=1, auth_token="msn_wrong", url_format=URL_FORMAT,
                               lazy=True)
    with client.session(), pytest.raises(AuthError):
        client.metrics()
    bare = httpx.post(f"http://{host}/api/graphql", json={"query": "{ metrics(environmentId: 1) { name } }"})
    assert bare.status_code == 401 and bare.json()["errors"][0]["message"] == "User is not authorized"


@pytest.mark.parametrize("where, message", [
    ("{{ Dimension('order__status') }} = 'x'; drop table main.raw_orders", "one condition only"),
    ("1=1; drop table main.raw_orders", "one condition only"),
    ("{{ Dimension('order__status') }} in (select status from main.raw_orders)", "is not allowed"),
    ("status = 'completed'", "is not a dimension"),
    ("lower({{ Dimension('order__status') }}) = 'completed'", "is not allowed"),
    ("{{ Dimension('order__nosuch') }} = 'x'", "nosuch"),
])
def test_filters_that_smuggle_sql_fail_and_never_run(project: Path, sl: SyncGraphQLClient,  # noqa: F811
                                                     where: str, message: str) -> None:
    start = time.monotonic()
    with pytest.raises(QueryFailedError, match=message):
        sl.query(metrics=["orders"], where=[where])
    assert time.monotonic() - start < 10
    with duckdb.connect(str(project / "sl.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from main.raw_orders").fetchone() == (6,)


def test_unknown_metric_and_bad_arguments_fail_fast(sl: SyncGraphQLClient) -> None:
    with pytest.raises(QueryFailedError, match="metric 'revenu' is not defined"):
        sl.query(metrics=["revenu"])
    with pytest.raises(QueryFailedError, match="cannot order by"):
        sl.query(metrics=["orders"], order_by=[OrderByGroupBy("customer__region", None)])
    with pytest.raises(TransportQueryError, match="grain 'nanosecond' is not supported"):
        sl.query(metrics=["orders"], group_by=[GroupByParam("metric_time", GroupByType.TIME_DIMENSION,
                                                            "nanosecond")])


def test_a_scoped_token_sees_and_queries_only_its_metrics(host: str, tokens: dict[str, str]) -> None:
    client = SyncGraphQLClient(server_host=host, environment_id=1, auth_token=tokens["orders_only"],
                               url_format=URL_FORMAT, lazy=True)
    with client.session():
        assert [m.name for m in client.metrics()] == ["orders"]
        assert client.saved_queries() == []  # its one saved query needs revenue
        with pytest.raises(TransportQueryError, match="this token may not query revenue"):
            client.query(metrics=["revenue"])
        with pytest.raises(TransportQueryError, match="this token may not query revenue"):
            client.dimensions(metrics=["orders", "revenue"])
        with pytest.raises(TransportQueryError, match="this token may not query revenue"):
            client.query(saved_query="completed_by_region")
        assert _rows(client.query(metrics=["orders"])) == [(6,)]


def _gql(host: str, token: str, query: str, **variables: object) -> dict[str, object]:
    reply = httpx.post(f"http://{host}/api/graphql", json={"query": query, "variables": variables},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    body = reply.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_json_results_pages_and_another_token_cannot_read_a_query(project: Path, host: str,  # noqa: F811
                                                                  tokens: dict[str, str]) -> None:
    created = _gql(host, tokens["sdk"], """mutation { createQuery(environmentId: 1, metrics: [{name: "revenue"}],
        groupBy: [{name: "order__ordered_at", grain: DAY}], orderBy: [{groupBy: {name: "order__ordered_at"}}])
        { queryId } }""")
    query_id = created["createQuery"]["queryId"]  # type: ignore[index]
    page = """query Q($id: String!, $page: Int!) { query(environmentId: 1, queryId: $id, pageNum: $page) {
        status totalPages error sql records: jsonResult(orient: RECORDS, encoded: false) table: jsonResult } }"""
    for _ in range(50):
        first = _gql(host, tokens["sdk"], page, id=query_id, page=1)["query"]
        if first["status"] in ("SUCCESSFUL", "FAILED"):  # type: ignore[index]
            break
    assert first["status"] == "SUCCESSFUL" and first["totalPages"] == 2, first  # type: ignore[index]
    second = _gql(host, tokens["sdk"], page, id=query_id, page=2)["query"]
    want = _by_hand(project, "select strftime(date_trunc('day', cast(ordered_at as date)), '%Y-%m-%dT%H:%M:%S'), "
                             f"sum(amount) from {ORDERS} "
                             "group by 1 order by 1")
    got = [(r["order__ordered_at__day"], r["revenue"])
           for p in (first, second) for r in json.loads(p["records"])]  # type: ignore[index]
    assert got == want and len(got) == 6
    table = json.loads(base64.b64decode(first["table"]))  # type: ignore[index]
    assert [f["name"] for f in table["schema"]["fields"]] == ["index", "order__ordered_at__day", "revenue"]
    assert table["schema"]["fields"][1]["type"] == "datetime" and len(table["data"]) == PAGE_ROWS
    reply = httpx.post(f"http://{host}/api/graphql", headers={"Authorization": f"Bearer {tokens['orders_only']}"},
                       json={"query": page, "variables": {"id": query_id, "page": 1}}).json()
    assert "no query" in reply["errors"][0]["message"]


def test_dimension_values_and_queryable_granularities(host: str, tokens: dict[str, str]) -> None:
    data = _gql(host, tokens["sdk"], """{ queryableGranularities(environmentId: 1, metrics: [{name: "orders"}])
        metricsForDimensions(environmentId: 1, dimensions: [{name: "customer__region"}]) { name } }""")
    assert data["queryableGranularities"] == ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]
    assert "total_amount" not in [m["name"] for m in data["metricsForDimensions"]]  # type: ignore[union-attr]
    assert "revenue" in [m["name"] for m in data["metricsForDimensions"]]  # type: ignore[union-attr]
    created = _gql(host, tokens["sdk"], """mutation { createDimensionValuesQuery(environmentId: 1,
        groupBy: [{name: "customer__region"}]) { queryId } }""")
    query_id = created["createDimensionValuesQuery"]["queryId"]  # type: ignore[index]
    for _ in range(50):
        result = _gql(host, tokens["sdk"], """query Q($id: String!) { query(environmentId: 1, queryId: $id) {
            status jsonResult(orient: VALUES, encoded: false) } }""", id=query_id)["query"]
        if result["status"] in ("SUCCESSFUL", "FAILED"):  # type: ignore[index]
            break
    assert json.loads(result["jsonResult"]) == [["EU"], ["US"]]  # type: ignore[index]


def test_the_high_level_client_metadata_over_graphql(host: str, tokens: dict[str, str], tmp_path: Path) -> None:
    """SyncSemanticLayerClient reads DBT_SL_GRAPHQL_URL_FORMAT when dbtsl is imported: a process of its own."""
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent(f"""
        from dbtsl import SemanticLayerClient
        client = SemanticLayerClient(environment_id=1, auth_token={tokens['sdk']!r}, host={host!r})
        with client.session():
            metrics = client.metrics()
            dims = client.dimensions(metrics=["revenue"])
            print(len(metrics), ",".join(d.qualified_name for d in dims), client.saved_queries()[0].name)
            print(client.compile_sql(metrics=["orders"], group_by=["metric_time__month"]).count("date_trunc"))
    """))
    env = {**os.environ, "DBT_SL_GRAPHQL_URL_FORMAT": URL_FORMAT}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["9", "customer__region,metric_time,order__ordered_at,order__status",
                                  "completed_by_region", "1"]
