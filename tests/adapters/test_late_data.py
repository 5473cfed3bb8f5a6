"""Late-arriving rows with a lookback written into the model: merging on unique_key makes reprocessing the
lookback window idempotent, and the late row lands; rows older than the lookback are left as they were."""

from __future__ import annotations

import pytest

from .conftest import Project, Warehouse

pytestmark = pytest.mark.requires("merge", "seeds")

MODEL = """{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}
select id, created_at, amount from {{ ref('raw_orders') }}
{% if is_incremental() %}
where created_at > (select max(created_at) from {{ this }}) - interval '3 days'
{% endif %}
"""

SCHEMA = ("version: 2\nseeds:\n  - name: raw_orders\n    config:\n      column_types:\n        id: integer\n"
          "        created_at: timestamp\n        amount: integer\n")


def _csv(*rows: str) -> str:
    return "id,created_at,amount\n" + "\n".join(rows) + "\n"


BASE = ["1,2024-03-01 10:00:00,10", "2,2024-03-05 10:00:00,20", "3,2024-03-10 10:00:00,30"]


def test_lookback_in_the_model_picks_up_late_rows_idempotently(tmp_path: object, warehouse: Warehouse) -> None:
    project = Project(tmp_path / "late", warehouse, {  # type: ignore[operator]
        "seeds/raw_orders.csv": _csv(*BASE), "seeds/schema.yml": SCHEMA, "models/orders.sql": MODEL})
    project.run("build")
    assert project.rows("orders", columns="id, amount") == [(1, 10), (2, 20), (3, 30)]
    # a late row (inside the 3-day window), a correction inside the window, a correction outside it
    project.write({"seeds/raw_orders.csv": _csv("1,2024-03-01 10:00:00,11", "2,2024-03-05 10:00:00,20",
                                                "3,2024-03-10 10:00:00,33", "4,2024-03-08 09:00:00,40")})
    project.run("seed")
    project.run("run", "-s", "orders")
    expected = [(1, 10), (2, 20), (3, 33), (4, 40)]  # id 1 is older than the lookback: unchanged
    assert project.rows("orders", columns="id, amount") == expected
    project.run("run", "-s", "orders")  # reprocessing the same window changes nothing
    assert project.rows("orders", columns="id, amount") == expected
    assert len(project.rows("orders")) == 4
