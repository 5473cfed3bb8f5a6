"""Microbatch on Spark: a batch whose write fails leaves the table and the ledger as they were, partitions
coarser than the batch keep their rows outside the window, and the configurations Spark cannot build in
batches are refused with the model's file and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Project, SparkWarehouse, model
from .test_microbatch import BEGIN, M, _day, _events, source_files
from .test_spark import partition_columns

MICROBATCH = ("materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='month', "
              f"begin='{BEGIN}', lookback=1")
# the amount overflows the table's int column in the batch `overflow_batch` names: the batch's query runs, and
# Spark fails while it writes the rows (CAST_OVERFLOW_IN_TABLE_INSERT)
AMOUNT = ("{% if model.batch is defined and model.batch.id == var('overflow_batch', 'none') %}"
          "cast(amount as bigint) * 10000000000{% else %}amount{% endif %} as amount")


def _model(partition_by: str, extra: str) -> str:
    return (f"{{{{ config({MICROBATCH}, partition_by='{partition_by}') }}}}\n"
            f"select id, ts, {AMOUNT}, {extra} from {{{{ ref('stg_events') }}}}\n")


def _files() -> dict[str, str]:
    return {
        **source_files(),
        # a partition per batch
        "models/by_month.sql": _model("ts_month", "cast(date_trunc('month', ts) as date) as ts_month"),
        # partitions across batches: a batch rewrites its partitions with their rows of other months carried over
        "models/by_parity.sql": _model("parity", "id % 2 as parity"),
    }


@pytest.fixture(scope="module")
def spark(spark_server: object) -> Iterator[SparkWarehouse]:
    yield SparkWarehouse(spark_server)


def _rows(p: Project, name: str) -> list[tuple[Any, ...]]:
    return p.rows(name, columns="id, ts, amount")


def _ledger(p: Project, name: str) -> list[tuple[Any, ...]]:
    return sorted(p.query(f"select batch_start, batch_end, built_at, invocation_id from "
                          f"{p.warehouse.qualify(p.schema, 'mason_microbatch_batches')} "
                          f"where model_id = '{model(name)}'"))


def _month_id(offset: int) -> str:
    return M[offset].strftime("%Y%m")


def test_a_batch_whose_write_fails_leaves_the_table_and_the_ledger_as_they_were(spark: SparkWarehouse,
                                                                               tmp_path: Path) -> None:
    p = Project(tmp_path / "atomic", spark, _files())
    first = p.run("build")
    assert first.status(model("by_month")) == "success" and first.status(model("by_parity")) == "success"
    before = {name: (_rows(p, name), _ledger(p, name)) for name in ("by_month", "by_parity")}
    assert [r[0] for r in before["by_month"][0]] == [2, 3, 4, 5, 6]
    assert len(before["by_month"][1]) == 4

    # a late row in last month; last month's batch then fails while Spark writes it, after its query ran
    p.write({"seeds/raw_events.csv": _events([f"7,{_day(-1, 25)},31"], without=(6,))})
    p.run("seed")
    failed = p.run("run", "-s", "by_month", "by_parity", "--vars", json.dumps({"overflow_batch": _month_id(-1)}),
                   expect=1)
    for name in ("by_month", "by_parity"):
        assert failed.status(model(name)) == "partial success", failed.output
        results = failed.results[model(name)]["batch_results"]
        assert [s[:7] for s, _ in results["failed"]] == [M[-1].strftime("%Y-%m")]
        assert "CAST_OVERFLOW" in failed.results[model(name)]["message"]
        rows, ledger = before[name]
        # the current month's batch was built (row 6 is gone upstream); last month is exactly as it was
        assert _rows(p, name) == [r for r in rows if r[0] != 6], name
        now = _ledger(p, name)
        assert [r for r in now if r[0] == M[-1]] == [r for r in ledger if r[0] == M[-1]]  # not rebuilt
        assert [r for r in now if r[0] == M[0]] != [r for r in ledger if r[0] == M[0]]  # rebuilt
    assert not [n for n in p.relations() if "__dbt" in n]  # no staging tables left behind

    # the next run rebuilds that batch: rows of other months sharing its partitions are kept
    again = p.run("run", "-s", "by_month", "by_parity")
    for name in ("by_month", "by_parity"):
        assert again.status(model(name)) == "success"
        assert [r[0] for r in _rows(p, name)] == [2, 3, 4, 5, 7], name
        assert [r[0] for r in _ledger(p, name)] == [M[i] for i in range(-3, 1)]


def test_microbatch_configurations_spark_cannot_build_are_refused(spark: SparkWarehouse, tmp_path: Path) -> None:
    files = _files()
    files["models/unpartitioned.sql"] = (f"{{{{ config({MICROBATCH}) }}}}\n"
                                         "select id, ts, amount from {{ ref('stg_events') }}\n")
    files["models/hudi_mb.sql"] = (f"{{{{ config({MICROBATCH}, file_format='hudi', partition_by='id') }}}}\n"
                                   "select id, ts, amount from {{ ref('stg_events') }}\n")
    p = Project(tmp_path / "refused", spark, files)
    run = p.run("build", expect=1)
    for name, says in (("unpartitioned", "needs partition_by"), ("hudi_mb", "file_format 'hudi'")):
        assert run.status(model(name)) == "error"
        assert says in run.output and f"models/{name}.sql" in run.output, run.output
        assert spark.stored_name(name) not in p.relations()
    assert "Traceback" not in run.output
    assert "date_trunc('month', ts)" in run.output  # the fix, spelled for this model
    assert run.status(model("by_month")) == "success"

    # partition_by changed on a built table: batches cannot be written by the new partitions
    p.write({"models/by_month.sql": _model("id", "cast(date_trunc('month', ts) as date) as ts_month")})
    changed = p.run("run", "-s", "by_month", expect=1)
    assert "partitioned by (ts_month)" in changed.output and "--full-refresh" in changed.output
    assert "models/by_month.sql" in changed.output and "Traceback" not in changed.output
    # rebuilt from scratch for two months: the table and the model's ledger hold those two alone
    rebuilt = p.run("run", "-s", "by_month", "--full-refresh", "--event-time-start", M[-3].strftime("%Y-%m-%d"),
                    "--event-time-end", M[-1].strftime("%Y-%m-%d"))
    assert rebuilt.status(model("by_month")) == "success"
    assert [r[0] for r in _rows(p, "by_month")] == [2, 3, 4]
    assert partition_columns(p, "by_month") == ["id"]
    assert [r[0] for r in _ledger(p, "by_month")] == [M[-3], M[-2]]
    assert len(_ledger(p, "by_parity")) == 4  # another model's batches are left alone

    # a static partition overwrite would empty the table: refused before any batch
    profile = (p.root / "profiles.yml").read_text()
    (p.root / "profiles.yml").write_text(
        profile + "      server_side_parameters:\n        spark.sql.sources.partitionOverwriteMode: static\n")
    static = p.run("run", "-s", "by_month", expect=1)
    assert "partitionOverwriteMode" in static.output and "server_side_parameters" in static.output
    assert [r[0] for r in _rows(p, "by_month")] == [2, 3, 4]
