"""`mason serve`'s limits over real HTTP: a query running past --statement-timeout is cancelled (504, the
server keeps answering), and a token scoped to a group sees and queries only that group's metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .serving import serving
from .test_query import _mason
from .test_server import _auth

PROJECT = {
    "dbt_project.yml": "name: lim\nversion: '1.0'\nconfig-version: 2\nprofile: lim\n",
    "profiles.yml": "lim:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: lim.duckdb\n"
                    "      schema: main\n",
    # a view that takes minutes to sum: ten billion rows
    "models/huge.sql": "{{ config(materialized='view') }}\n"
                       "select i as id, date '2024-01-01' + cast(i % 3 as integer) as day from range(10000000000) t(i)",
    "models/small.sql": "{{ config(materialized='table') }}\n"
                        "select 1 as id, date '2024-01-01' as day union all select 2, date '2024-01-02'",
    "models/semantic.yml": """
groups:
  - {name: finance, owner: {name: fin}}
  - {name: ops, owner: {name: ops}}
semantic_models:
  - name: huge
    model: ref('huge')
    defaults: {agg_time_dimension: day}
    entities: [{name: row, type: primary, expr: id}]
    dimensions: [{name: day, type: time, type_params: {time_granularity: day}}]
    measures: [{name: huge_total, agg: sum, expr: id}]
  - name: small
    model: ref('small')
    defaults: {agg_time_dimension: day}
    entities: [{name: item, type: primary, expr: id}]
    dimensions: [{name: day, type: time, type_params: {time_granularity: day}}]
    measures: [{name: small_total, agg: sum, expr: id}, {name: small_count, agg: count, expr: id}]
metrics:
  - {name: slow_total, label: Slow, type: simple, type_params: {measure: huge_total}, config: {group: ops}}
  - {name: small_total, label: Small, type: simple, type_params: {measure: small_total}, config: {group: finance}}
  - {name: small_count, label: Count, type: simple, type_params: {measure: small_count}, group: finance}
""",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lim")
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    built = _mason(root, "run")
    assert built.returncode == 0, built.stdout + built.stderr
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[str]:
    with serving(project, "--statement-timeout", "1.5") as url:
        yield url


def test_a_query_past_the_statement_timeout_is_cancelled(project: Path, server: str) -> None:
    token = _mason(project, "serve", "token", "create", "all").stdout.strip()
    start = time.monotonic()
    reply = httpx.post(f"{server}/api/v1/query", json={"metrics": ["slow_total"]}, headers=_auth(token),
                       timeout=120)
    took = time.monotonic() - start
    assert reply.status_code == 504, reply.text
    assert "statement timeout (1.5 s)" in reply.json()["error"]
    assert took < 30  # cancelled, not run to the end (minutes)
    ok = httpx.post(f"{server}/api/v1/query", json={"metrics": ["small_total"]}, headers=_auth(token))
    assert ok.status_code == 200 and ok.json()["rows"] == [[3]]


def test_a_token_scoped_to_a_group(project: Path, server: str) -> None:
    made = _mason(project, "serve", "token", "create", "fin", "--group", "finance")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    listed = httpx.get(f"{server}/api/v1/metrics", headers=_auth(token)).json()["metrics"]
    assert sorted(m["name"] for m in listed) == ["small_count", "small_total"]
    ok = httpx.post(f"{server}/api/v1/query", json={"metrics": ["small_count", "small_total"]}, headers=_auth(token))
    assert ok.status_code == 200 and ok.json()["rows"] == [[2, 3]]
    denied = httpx.post(f"{server}/api/v1/query", json={"metrics": ["slow_total"]}, headers=_auth(token))
    assert denied.status_code == 403 and "slow_total" in denied.json()["error"]
    assert "fin  group:finance" in _mason(project, "serve", "token", "list").stdout
