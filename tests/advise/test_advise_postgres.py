"""`mason advise` on PostgreSQL: a large table that downstream models join and filter on gets index advice
(pg_class sizes, existing indexes, EXPLAIN), which goes away once the `indexes` config has the column."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_mason

MODELS = {
    "models/orders_big.sql": """
        {{ config(materialized='table') }}
        select g as id, g % 500 as customer_id, timestamp '2024-01-01' + g * interval '1 minute' as created_at
        from generate_series(1, 5000) g
        """,
    "models/customers.sql": """
        {{ config(materialized='table') }}
        select g as customer_id, 'c' || g as name from generate_series(1, 500) g
        """,
    "models/recent_orders.sql": """
        select o.id, c.name
        from {{ ref('orders_big') }} o
        join {{ ref('customers') }} c on c.customer_id = o.customer_id
        where o.created_at > timestamp '2024-01-03'
        """,
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def mason(root: Path, *args: str, expect: int = 0) -> str:
    result = run_mason(root, *args, env={"MASON_NO_PROGRESS": "1"})
    assert result.code == expect, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def advice(root: Path) -> list[dict[str, Any]]:
    return list(json.loads(mason(root, "advise", "--min-rows", "1000", "-o", "json"))["advice"])


@pytest.fixture
def project(pg_server: Any, tmp_path: Path) -> Path:
    database = pg_server.create_database(f"mason_advise_{uuid.uuid4().hex[:8]}")
    root = tmp_path / "p"
    write(root, {"dbt_project.yml": "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n", **MODELS})
    (root / "profiles.yml").write_text(textwrap.dedent(f"""\
        p:
          target: dev
          outputs:
            dev:
              type: postgres
              host: {pg_server.host}
              port: {pg_server.port}
              user: {pg_server.user}
              password: "{pg_server.password}"
              dbname: {database}
              schema: analytics
              threads: 2
        """))
    return root


def test_index_advice_for_join_and_filter_columns(project: Path) -> None:
    mason(project, "run")
    found = {(a["kind"], a["unique_id"], a["fix"]): a for a in advice(project)}
    index = {fix: a for kind, uid, fix in found if kind == "index" and uid == "model.p.orders_big"
             for a in [found[(kind, uid, fix)]]}
    assert set(index) == {"{{ config(indexes=[{'columns': ['created_at']}]) }}",
                          "{{ config(indexes=[{'columns': ['customer_id']}]) }}"}
    by_customer = index["{{ config(indexes=[{'columns': ['customer_id']}]) }}"]
    assert by_customer["location"] == "models/orders_big.sql:1" and by_customer["rows"] == 5000
    assert "joins on `customer_id`" in by_customer["message"] and "Seq Scan" not in by_customer["fix"]
    assert "EXPLAIN of recent_orders scans the whole table" in by_customer["message"]
    assert by_customer["also"] == ["models/recent_orders.sql:3: recent_orders joins on customer_id"]
    assert "filters on `created_at`" in index["{{ config(indexes=[{'columns': ['created_at']}]) }}"]["message"]
    assert ("incremental", "model.p.orders_big") in {(k, u) for k, u, _ in found}
    # the small table gets no index advice; an index on customer_id silences its advice
    assert not any(uid == "model.p.customers" for kind, uid, _ in found if kind == "index")
    write(project, {"models/orders_big.sql": "{{ config(materialized='table', indexes=[{'columns': ['customer_id']}]) }}\n"
                    + textwrap.dedent(MODELS["models/orders_big.sql"]).split("\n", 2)[2]})
    mason(project, "run")
    left = [a["fix"] for a in advice(project) if a["kind"] == "index"]
    assert left == ["{{ config(indexes=[{'columns': ['created_at']}]) }}"]
