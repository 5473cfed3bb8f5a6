"""`mason serve` over real HTTP on 127.0.0.1: started as the command a user runs, queried with httpx.
Tokens (created with `mason serve token create`), scopes, the JSON API's answers (equal to SQL written by
hand), caching until a rebuild, and filters that try to smuggle SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from .serving import serving
from .test_query import _by_hand, _mason
from .test_query import project as project  # noqa: F401 (the built project fixture)


@pytest.fixture(scope="module")
def tokens(project: Path) -> dict[str, str]:  # noqa: F811
    full = _mason(project, "serve", "token", "create", "analyst")
    scoped = _mason(project, "serve", "token", "create", "orders_only", "--metrics", "orders")
    assert full.returncode == 0 and scoped.returncode == 0, full.stderr + scoped.stderr
    return {"analyst": full.stdout.strip(), "orders_only": scoped.stdout.strip()}


@pytest.fixture(scope="module")
def server(project: Path, tokens: dict[str, str]) -> Iterator[str]:  # noqa: F811
    with serving(project, "--max-rows", "3") as url:
        yield url


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_needed_and_stored_hashed(project: Path, server: str, tokens: dict[str, str]) -> None:  # noqa: F811
    assert httpx.get(f"{server}/api/v1/metrics").status_code == 401
    assert httpx.get(f"{server}/api/v1/metrics", headers=_auth("msn_wrong")).status_code == 401
    assert httpx.post(f"{server}/api/v1/query", json={"metrics": ["revenue"]}).status_code == 401
    stored = (project / ".mason" / "tokens.json").read_text()
    assert tokens["analyst"] not in stored and '"analyst"' in stored
    listed = _mason(project, "serve", "token", "list")
    assert "analyst  all metrics" in listed.stdout and "orders_only  orders" in listed.stdout
    assert tokens["analyst"] not in listed.stdout


def test_metrics_and_a_query_over_http(project: Path, server: str, tokens: dict[str, str]) -> None:  # noqa: F811
    names = [m["name"] for m in httpx.get(f"{server}/api/v1/metrics", headers=_auth(tokens["analyst"])).json()
             ["metrics"]]
    assert "revenue" in names and "total_amount" in names
    dims = httpx.get(f"{server}/api/v1/dimensions", headers=_auth(tokens["analyst"])).json()["dimensions"]
    assert {"name": "customer__region", "type": "categorical"} in dims
    assert {"name": "order__ordered_at", "type": "time"} in dims
    gql = httpx.post(f"{server}/graphql", json={"query": "{ dimensionList { name } }"},
                     headers=_auth(tokens["analyst"])).json()["data"]["dimensionList"]
    assert [d["name"] for d in gql] == [d["name"] for d in dims]
    scoped = httpx.get(f"{server}/api/v1/metrics", headers=_auth(tokens["orders_only"])).json()["metrics"]
    assert [m["name"] for m in scoped] == ["orders"]
    body = {"metrics": ["revenue", "orders"], "group_by": ["customer__region"], "order_by": ["customer__region"],
            "where": ["{{ Dimension('order__status') }} in ('completed', 'returned')"]}
    reply = httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"]))
    assert reply.status_code == 200, reply.text
    data = reply.json()
    want = _by_hand(project, "select c.region, sum(o.amount), count(o.order_id) from main.raw_orders o left join "
                             "main.raw_customers c using (customer_id) where o.status in ('completed', 'returned')"
                             " group by 1 order by 1")
    assert data["columns"] == ["customer__region", "revenue", "orders"]
    assert [tuple(r) for r in data["rows"]] == want and data["cached"] is False
    again = httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"])).json()
    assert again["cached"] is True and again["rows"] == data["rows"]
    # rebuilding what the query does not read keeps the answer; rebuilding a model under it drops it
    assert _mason(project, "seed", "-s", "raw_customers").returncode == 0
    kept = httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"])).json()
    assert kept["cached"] is True
    assert _mason(project, "run", "-s", "fct_orders").returncode == 0
    fresh = httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"])).json()
    assert fresh["cached"] is False and fresh["rows"] == data["rows"]
    assert httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"])).json()["cached"]
    # two builds between two reads: the first one's rebuild is not lost behind the second
    assert _mason(project, "run", "-s", "dim_customers").returncode == 0
    assert _mason(project, "seed", "-s", "raw_orders").returncode == 0
    again = httpx.post(f"{server}/api/v1/query", json=body, headers=_auth(tokens["analyst"])).json()
    assert again["cached"] is False
    # at most --max-rows rows
    many = httpx.post(f"{server}/api/v1/query", json={"metrics": ["orders"], "group_by": ["order__ordered_at"]},
                      headers=_auth(tokens["analyst"])).json()
    assert len(many["rows"]) == 3


def test_scope_and_bad_queries(server: str, tokens: dict[str, str]) -> None:
    denied = httpx.post(f"{server}/api/v1/query", json={"metrics": ["revenue"]}, headers=_auth(tokens["orders_only"]))
    assert denied.status_code == 403 and "revenue" in denied.json()["error"]
    ok = httpx.post(f"{server}/api/v1/query", json={"metrics": ["orders"]}, headers=_auth(tokens["orders_only"]))
    assert ok.status_code == 200 and ok.json()["rows"] == [[6]]
    unknown = httpx.post(f"{server}/api/v1/query", json={"metrics": ["nope"]}, headers=_auth(tokens["analyst"]))
    assert unknown.status_code == 400 and "not defined" in unknown.json()["error"]
    assert httpx.post(f"{server}/api/v1/query", content=b"{not json", headers=_auth(tokens["analyst"])
                      ).status_code == 400


@pytest.mark.parametrize("where", [
    "{{ Dimension('order__status') }} = 'x'; drop table main.raw_orders",
    "{{ Dimension('order__status') }} in (select status from main.raw_orders)",
    "status = 'completed'",
    "{{ Dimension('order__status') }} = 'a' or 1 = (select 1)",
    "lower({{ Dimension('order__status') }}) = 'completed'",
    "{{ Dimension('order__nosuch') }} = 'x'",
    "{{ Dimension(\"order__status\" ~ 'x') }} = 'x'",
])
def test_filters_that_smuggle_sql_are_refused(project: Path, server: str, tokens: dict[str, str],  # noqa: F811
                                              where: str) -> None:
    reply = httpx.post(f"{server}/api/v1/query", json={"metrics": ["orders"], "where": [where]},
                       headers=_auth(tokens["analyst"]))
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]
    with duckdb.connect(str(project / "sl.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from main.raw_orders").fetchone() == (6,)


def test_openapi_and_revoke(project: Path, server: str, tokens: dict[str, str]) -> None:  # noqa: F811
    doc = httpx.get(f"{server}/openapi.json").json()
    assert "/api/v1/query" in doc["paths"] and doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert _mason(project, "serve", "token", "revoke", "orders_only").returncode == 0
    assert httpx.get(f"{server}/api/v1/metrics", headers=_auth(tokens["orders_only"])).status_code == 401


def test_graphql_in_the_simple_shape(project: Path, server: str, tokens: dict[str, str]) -> None:  # noqa: F811
    query = """query { metrics(metrics: ["total_amount"], groupBy: ["status"], orderBy: ["status"],
                               where: [{sql: "ordered_at >= '2024-02-01'"}]) { columns data } }"""
    assert httpx.post(f"{server}/graphql", json={"query": query}).status_code == 401
    reply = httpx.post(f"{server}/graphql", json={"query": query}, headers=_auth(tokens["analyst"]))
    assert reply.status_code == 200, reply.text
    result = reply.json()["data"]["metrics"]
    want = _by_hand(project, "select status, sum(amount) from main.raw_orders where status != 'returned' and "
                             "cast(ordered_at as date) >= '2024-02-01' group by 1 order by 1")
    assert result["columns"] == ["status", "total_amount"]
    assert [(r["status"], r["total_amount"]) for r in result["data"]] == want and len(want) == 2
    listed = httpx.post(f"{server}/graphql", json={"query": "{ metricList { name type } }"},
                        headers=_auth(tokens["analyst"])).json()["data"]["metricList"]
    assert {"name": "revenue_per_order", "type": "ratio"} in listed
    # variables, and the same filter check as the JSON API
    with_vars = httpx.post(f"{server}/graphql", headers=_auth(tokens["analyst"]), json={
        "query": "query Q($m: [String!]!, $w: [WhereInput!]) { metrics(metrics: $m, where: $w) { data } }",
        "variables": {"m": ["orders"], "w": [{"sql": "status = 'completed'; drop table main.raw_orders"}]}})
    assert with_vars.status_code == 400 and "one condition only" in with_vars.json()["errors"][0]["message"]
    bad_column = httpx.post(f"{server}/graphql", headers=_auth(tokens["analyst"]), json={
        "query": '{ metrics(metrics: ["orders"], where: [{sql: "amount_secret > 0"}]) { data } }'})
    assert bad_column.status_code == 400 and "is not a dimension" in bad_column.json()["errors"][0]["message"]
