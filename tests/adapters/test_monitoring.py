"""Scenario: monitoring on every warehouse. A build writes the run history (invocations, node results, test
results with failing rows) into mason_monitoring and `mason history` reads it back; the anomaly tests give the
same verdicts everywhere (a daily volume spike fails volume, dimension, column and metric anomaly tests, and a
gap-free series passes freshness and a drop-only volume test)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from .conftest import Project, Warehouse

START = datetime(2024, 3, 1)
SPIKE = "2024-03-30"  # the last of 30 days


def events() -> str:
    lines = ["id,created_at,country,amount"]
    i = 0
    for day in range(30):
        n = 60 if day == 29 else 20 + (day * 7 % 5) - 2
        for k in range(n):
            i += 1
            ts = START + timedelta(days=day, seconds=k * (86400 // n))
            country = "us" if day == 29 and k % 3 else ("fr", "de", "us")[k % 3]
            lines.append(f"{i},{ts:%Y-%m-%d %H:%M:%S},{country},{(5 + i * 13 % 40) * (4 if day == 29 else 1)}")
    return "\n".join(lines) + "\n"


def files(wh: Warehouse) -> dict[str, str]:
    return {
        "seeds/events.csv": events(),
        "models/orders.sql": "{{ config(materialized='table') }}\nselect * from {{ ref('events') }}",
        "models/schema.yml": f"""
            version: 2
            seeds:
              - name: events
                config:
                  column_types: {{created_at: {wh.types['timestamp']}, country: {wh.types['text']}, amount: {wh.types['integer']}}}
            models:
              - name: orders
                data_tests:
                  - volume_anomalies: {{name: volume, arguments: {{timestamp_column: created_at}}}}
                  - volume_anomalies:
                      name: volume_drops
                      arguments: {{timestamp_column: created_at, anomaly_direction: drop}}
                  - freshness_anomalies: {{name: freshness, arguments: {{timestamp_column: created_at}}}}
                  - dimension_anomalies:
                      name: by_country
                      arguments: {{timestamp_column: created_at, dimensions: [country]}}
                  - metric_anomalies: {{name: revenue_spike, arguments: {{metric: revenue}}}}
                columns:
                  - name: amount
                    data_tests:
                      - column_anomalies:
                          name: amount_profile
                          arguments: {{timestamp_column: created_at, column_anomalies: [sum, average, null_count]}}
            semantic_models:
              - name: orders
                model: ref('orders')
                defaults: {{agg_time_dimension: created_at}}
                entities: [{{name: order, type: primary, expr: id}}]
                dimensions: [{{name: created_at, type: time, type_params: {{time_granularity: day}}}}]
                measures: [{{name: revenue, agg: sum, expr: amount}}]
            metrics:
              - {{name: revenue, label: Revenue, type: simple, type_params: {{measure: revenue}}}}
            """,
    }


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("monitoring"), warehouse, files(warehouse), history=True)
    p.run("build", expect=1)
    p.second = p.run("test", "-s", "volume", expect=1)  # type: ignore[attr-defined]
    return p


def history(p: Project, table: str, columns: str, where: str = "") -> list[tuple[Any, ...]]:
    return p.query(f"select {columns} from {p.warehouse.qualify('mason_monitoring', table)} {where}")


def test_anomaly_verdicts(project: Project) -> None:
    tests = {uid.split(".")[2]: status for uid, status in project.second.statuses().items()}  # type: ignore[attr-defined]
    assert tests == {"volume": "fail"}  # the second command ran only `volume`
    statuses = {r[0].split(".")[2]: r[1] for r in history(project, "mason_test_results", "unique_id, status")
                if r[0].startswith("test.")}
    assert statuses == {"volume": "fail", "volume_drops": "pass", "freshness": "pass", "by_country": "fail",
                        "revenue_spike": "fail", "amount_profile": "fail"}


def test_failing_rows_say_bucket_value_and_range(project: Project) -> None:
    rows = history(project, "mason_test_results", "name, failures, failing_rows", "where status = 'fail'")
    samples = {name: (failures, json.loads(sample)) for name, failures, sample in rows}
    failures, (volume,) = samples["volume"]
    assert failures == 1 and volume["bucket_start"].startswith(SPIKE) and volume["value"] == 60
    assert volume["metric_name"] == "row_count" and volume["anomaly"] == "spike"
    assert 10 < volume["expected_min"] < volume["expected_max"] < 30
    segments = {(r["dimension_value"], r["anomaly"]) for r in samples["by_country"][1]}
    assert segments == {("us", "spike"), ("fr", "spike"), ("de", "drop")}  # that day: 40 us, 20 fr, no de
    assert {r["metric_name"] for r in samples["amount_profile"][1]} == {"sum", "average"}
    (revenue,) = samples["revenue_spike"][1]
    assert revenue["bucket_start"].startswith(SPIKE) and revenue["value"] > revenue["expected_max"]


def test_history_tables(project: Project) -> None:
    runs = sorted(history(project, "mason_invocations", "command, status, exit_code, node_count, error_count"))
    assert runs == [("build", "error", 1, 8, 4), ("test", "error", 1, 1, 1)]
    nodes = dict(history(project, "mason_node_results", "unique_id, status",
                         "where resource_type in ('seed', 'model')"))
    assert nodes == {"seed.conformance.events": "success", "model.conformance.orders": "success"}
    (seconds,) = history(project, "mason_node_results", "total_seconds",
                         "where unique_id = 'model.conformance.orders'")
    assert seconds[0] > 0


def test_mason_history_reads_it_back(project: Project) -> None:
    out = project.run("history").stdout
    assert "Recent runs" in out and " test " in out and " build " in out
    trend = json.loads(project.run("history", "-s", "orders", "-o", "json").stdout)["trend"]
    assert [t["status"] for t in trend] == ["success"]
