"""Mason's anomaly tests end to end on DuckDB, from the CLI: each one fails on data with a spike (a failing row
names the bucket, the value and the expected range) and passes on the same data without it; the verdict is
the same every time; `as_of`, `anomaly_direction` and the `mason.` namespace work; the example project's
revenue test passes on its data and fails once a revenue spike is added."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import Project, events_csv

SPIKE_DAY = "2024-04-29 00:00:00"  # day 59 of events_csv, the last
YAML = """
version: 2
seeds:
  - name: events
    config:
      column_types: {created_at: timestamp, country: varchar, amount: integer}
models:
  - name: orders
    data_tests:
      - volume_anomalies:
          name: volume
          arguments: {timestamp_column: created_at}
      - mason.volume_anomalies:
          name: volume_drops_only
          arguments: {timestamp_column: created_at, anomaly_direction: drop}
      - volume_anomalies:
          name: volume_before_spike
          arguments: {timestamp_column: created_at, as_of: "2024-04-28 23:59:59"}
      - volume_anomalies:
          name: volume_weekly_season
          arguments:
            timestamp_column: created_at
            seasonality: day_of_week
            training_period: {period: day, count: 21}
            min_training_set_size: 3
      - freshness_anomalies:
          name: freshness
          arguments: {timestamp_column: created_at}
      - dimension_anomalies:
          name: by_country
          arguments: {timestamp_column: created_at, dimensions: [country]}
      - metric_anomalies:
          name: revenue
          arguments: {metric: revenue}
    columns:
      - name: amount
        data_tests:
          - column_anomalies:
              name: amount_profile
              arguments:
                timestamp_column: created_at
                column_anomalies: [sum, average, null_count, max_length]

semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: created_at}
    entities:
      - {name: order, type: primary, expr: id}
    dimensions:
      - {name: created_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: revenue, agg: sum, expr: amount}
metrics:
  - {name: revenue, label: Revenue, type: simple, type_params: {measure: revenue}}
"""
TESTS = ("volume", "volume_drops_only", "volume_before_spike", "volume_weekly_season", "freshness", "by_country",
         "revenue", "amount_profile")


def project(root: Path, csv: str) -> Project:
    return Project(root, {
        "seeds/events.csv": csv,
        "models/orders.sql": "select * from {{ ref('events') }}",
        "models/schema.yml": YAML,
    })


def verdicts(p: Project) -> dict[str, str]:
    return {uid.split(".")[2]: status for uid, status in p.statuses().items() if uid.startswith("test.")}


def failing_rows(p: Project, name: str) -> list[dict[str, Any]]:
    result = next(r for uid, r in p.results().items() if uid.startswith(f"test.m.{name}."))
    rows = p.query_dicts(result["compiled_code"])
    return sorted(rows, key=lambda r: (str(r["bucket_start"]), str(r.get("dimension_value")), r["metric_name"]))


@pytest.fixture(scope="module")
def spiked(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = project(tmp_path_factory.mktemp("spiked"), events_csv(60, spike_day=59))
    p.run("build", expect=1)
    return p


def test_spike_fails_the_tests_that_see_it(spiked: Project) -> None:
    assert verdicts(spiked) == {
        "volume": "fail", "volume_drops_only": "pass", "volume_before_spike": "pass", "volume_weekly_season": "fail",
        "freshness": "pass", "by_country": "fail", "revenue": "fail", "amount_profile": "fail"}


def test_failing_row_names_bucket_value_and_expected_range(spiked: Project) -> None:
    (row,) = failing_rows(spiked, "volume")
    assert str(row["bucket_start"]) == SPIKE_DAY and str(row["bucket_end"]) == "2024-04-30 00:00:00"
    assert row["metric_name"] == "row_count" and row["value"] == 300 and row["anomaly"] == "spike"
    assert 70 < row["expected_min"] < row["training_avg"] < row["expected_max"] < 150
    assert row["training_set_size"] == 14 and row["z_score"] > 3
    # sensitivity 3: the range is the training mean ± 3 standard deviations
    assert row["expected_max"] == pytest.approx(row["training_avg"] + 3 * row["training_stddev"])


def test_segment_metric_and_column_rows(spiked: Project) -> None:
    by_country = failing_rows(spiked, "by_country")
    assert {r["dimension_value"] for r in by_country} >= {"us"}
    assert all(r["dimension"] == "country" and str(r["bucket_start"]) == SPIKE_DAY for r in by_country)
    (revenue,) = failing_rows(spiked, "revenue")
    assert revenue["metric_name"] == "revenue" and str(revenue["bucket_start"]) == SPIKE_DAY
    assert revenue["value"] > revenue["expected_max"]
    profile = {r["metric_name"]: r for r in failing_rows(spiked, "amount_profile")}
    assert set(profile) == {"sum", "average", "max_length"}  # null_count stays 0 throughout
    assert profile["average"]["value"] > 10 * profile["average"]["training_avg"] * 0.8


def test_same_data_same_verdict(spiked: Project) -> None:
    def rounded(name: str) -> list[dict[str, Any]]:  # parallel float sums may differ in the last bits
        return [{k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()}
                for r in failing_rows(spiked, name)]

    first = {name: rounded(name) for name in ("volume", "by_country", "revenue")}
    spiked.run("test", expect=1)
    assert verdicts(spiked) == {"volume": "fail", "volume_drops_only": "pass", "volume_before_spike": "pass",
                                "volume_weekly_season": "fail", "freshness": "pass", "by_country": "fail",
                                "revenue": "fail", "amount_profile": "fail"}
    assert {name: rounded(name) for name in first} == first


def test_flat_data_passes_everything(tmp_path: Path) -> None:
    p = project(tmp_path, events_csv(60))
    p.run("build")
    assert verdicts(p) == dict.fromkeys(TESTS, "pass")


def test_a_gap_in_arrivals_fails_freshness(tmp_path: Path) -> None:
    p = project(tmp_path, events_csv(60, gap=range(55, 59)))
    p.run("build", expect=1)
    assert verdicts(p)["freshness"] == "fail"
    rows = failing_rows(p, "freshness")
    assert rows and all(r["metric_name"] == "freshness_seconds" and r["anomaly"] == "spike" for r in rows)
    assert max(r["value"] for r in rows) > 3 * 86400  # four days without a row


def test_a_drop_fails_both_and_drop(tmp_path: Path) -> None:
    p = project(tmp_path, events_csv(60, drop_day=59))
    p.run("build", expect=1)
    assert verdicts(p)["volume"] == verdicts(p)["volume_drops_only"] == "fail"
    (row,) = failing_rows(p, "volume_drops_only")
    assert row["anomaly"] == "drop" and row["value"] == 10 and row["value"] < row["expected_min"]


def test_missing_argument_is_a_parse_error(tmp_path: Path) -> None:
    p = project(tmp_path, events_csv(5))
    p.write({"models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    data_tests:\n      - volume_anomalies\n"})
    result = p.run("parse", expect=None)
    assert result.code != 0 and "timestamp_column" in result.stderr


def test_bad_argument_is_a_compile_error_on_the_test(tmp_path: Path) -> None:
    p = project(tmp_path, events_csv(5))
    p.write({"models/schema.yml": """
        version: 2
        models:
          - name: orders
            data_tests:
              - volume_anomalies:
                  name: weird
                  arguments: {timestamp_column: created_at, anomaly_direction: sideways}
        """})
    p.run("build", expect=1)
    result = next(r for uid, r in p.results().items() if uid.startswith("test.m.weird."))
    assert result["status"] == "error" and "anomaly_direction must be both, spike or drop" in result["message"]


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jaffle_shop"


def test_example_revenue_spike_test(tmp_path: Path) -> None:
    """examples/jaffle_shop: the weekly revenue test on fct_orders passes on the shop's data, and fails once a
    week of big orders is added after it."""
    root = tmp_path / "jaffle_shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    env = {"SHOP_DUCKDB_PATH": str(root / "shop.duckdb")}
    p = Project.__new__(Project)
    p.root, p.db = root, root / "shop.duckdb"
    p.run("build", env=env)
    name = "column_anomalies_fct_orders_spike__sum__amount__week__1__3__week__1__order_date__week__10"
    assert p.statuses()[next(u for u in p.statuses() if u.startswith(f"test.shop.{name}"))] == "pass"
    with (root / "seeds" / "raw_orders.csv").open("a") as f:
        f.writelines(f"{100 + i},{1 + i},2018-04-0{2 + i % 5},completed\n" for i in range(8))
    with (root / "seeds" / "raw_payments.csv").open("a") as f:
        f.writelines(f"{200 + i},{100 + i},credit_card,9000\n" for i in range(8))
    p.run("build", "--full-refresh", env=env, expect=1)
    uid = next(u for u in p.statuses() if u.startswith(f"test.shop.{name}"))
    assert p.statuses()[uid] == "fail"
    (row,) = p.query_dicts(p.results()[uid]["compiled_code"])
    assert str(row["bucket_start"]) == "2018-04-02 00:00:00" and row["value"] == 720
    assert row["value"] > row["expected_max"]
