"""Microbatch: batches at the event-time grain, upstream refs filtered to the batch, lookback for late rows,
and Mason's batch ledger: a missed or failed batch is built by the next run (or `mason retry`) alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from .conftest import Project, Warehouse, model

pytestmark = pytest.mark.requires("microbatch", "seeds")


def _month(offset: int) -> datetime:
    """The first day of the month `offset` months from the current one (UTC, as Mason plans batches)."""
    now = datetime.now(UTC)
    months = now.year * 12 + now.month - 1 + offset
    return datetime(months // 12, months % 12 + 1, 1)


def _day(offset: int, day: int = 10) -> str:
    return _month(offset).replace(day=day).strftime("%Y-%m-%d 12:00:00")


M = {i: _month(i) for i in range(-4, 1)}  # M[0] is the current month
BEGIN = M[-3].strftime("%Y-%m-%d")


def _events(extra: list[str] | None = None, without: tuple[int, ...] = ()) -> str:
    rows = [f"1,{_day(-4)},100",  # before begin: never built
            f"2,{_day(-3)},10", f"3,{_day(-3, 20)},11", f"4,{_day(-2)},20", f"5,{_day(-1)},30", f"6,{_day(0, 1)},40"]
    kept = [r for r in rows if int(r.split(",")[0]) not in without]
    return "\n".join(["id,ts,amount", *kept, *(extra or [])]) + "\n"


FAIL_IF = """{{% if model.batch is defined and model.batch.id == var('fail_batch', 'none') %}}
select cast('boom' as integer) as id, cast(null as timestamp) as ts, 0 as amount{extra}
{{% else %}}"""

MONTHLY = """{{{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
             batch_size='month', begin='{begin}', lookback=1{config}) }}}}
{fail}
select id, ts, amount{extra} from {{{{ ref('stg_events') }}}}
{end}
"""
# Spark writes each batch by overwriting partitions, as dbt-spark does: the model is partitioned by month there
SPARK_PARTITION = {"config": ", partition_by='ts_month'", "extra": ", cast(date_trunc('month', ts) as date) as ts_month"}


def _layout(warehouse: Warehouse) -> dict[str, str]:
    return SPARK_PARTITION if warehouse.name == "spark" else {"config": "", "extra": ""}


def source_files() -> dict[str, str]:
    """The events seed and a staging view declaring event_time, for the microbatch models to read."""
    return {
        "seeds/raw_events.csv": _events(),
        "seeds/schema.yml": "version: 2\nseeds:\n  - name: raw_events\n    config:\n      column_types:\n"
                            "        id: integer\n        ts: timestamp\n        amount: integer\n",
        "models/stg_events.sql": "{{ config(materialized='view', event_time='ts') }}\n"
                                 "select id, ts, amount from {{ ref('raw_events') }}",
    }


def _files(warehouse: Warehouse, fail: bool = False) -> dict[str, str]:
    layout = _layout(warehouse)
    return {
        **source_files(),
        "models/monthly.sql": MONTHLY.format(begin=BEGIN, fail=FAIL_IF.format(**layout) if fail else "",
                                             end="{% endif %}" if fail else "", **layout),
    }


def _ids(project: Project) -> list[int]:
    return [r[0] for r in project.rows("monthly", columns="id")]


def _ledger(project: Project) -> list[str]:
    rows = project.query(f"select batch_start from {project.warehouse.qualify(project.schema, 'mason_microbatch_batches')}"
                         f" where model_id = '{model('monthly')}' order by batch_start")
    return [str(r[0])[:7] for r in rows]


def _batches(run: object, status: str) -> list[str]:
    results = run.results[model("monthly")]["batch_results"]  # type: ignore[attr-defined]
    return [s[:7] for s, _ in results[status]]


def test_batches_lookback_gaps_and_backfill(tmp_path: object, warehouse: Warehouse) -> None:
    project = Project(tmp_path / "mb", warehouse, _files(warehouse))  # type: ignore[operator]
    first = project.run("build")
    assert first.status(model("monthly")) == "success"
    months = [M[i].strftime("%Y-%m") for i in range(-3, 1)]
    assert _batches(first, "successful") == months  # begin .. the current month, one batch each
    assert _ids(project) == [2, 3, 4, 5, 6]  # the row before begin is not built
    assert _ledger(project) == months
    compiled = (project.root / "target" / "compiled" / "conformance" / "models" / "monthly"
                / f"monthly_{M[-1].strftime('%Y%m')}.sql").read_text()
    assert "ts >= '" in compiled and M[-1].strftime("%Y-%m-%d 00:00:00") in compiled  # upstream filtered

    # late rows: one inside the lookback window (last month), one older; only the first is picked up. And
    # the current month's only row is gone upstream: its batch replaces the window with nothing
    project.write({"seeds/raw_events.csv": _events([f"7,{_day(-1, 25)},31", f"8,{_day(-3, 25)},12"], without=(6,))})
    project.run("seed")
    second = project.run("run", "-s", "monthly")
    assert _batches(second, "successful") == [M[-1].strftime("%Y-%m"), M[0].strftime("%Y-%m")]
    assert _ids(project) == [2, 3, 4, 5, 7]

    # a missed batch (its rows and its ledger entry gone): the next run builds it, beside the lookback
    _forget_batch(project, M[-2], row_id=4)
    shown = json.loads(project.run("batches", "-s", "monthly", "--output", "json").stdout)
    assert [b[0][:7] for b in shown[0]["missing"]] == [M[-2].strftime("%Y-%m")]
    assert len(shown[0]["built"]) == 3
    third = project.run("run", "-s", "monthly")
    assert M[-2].strftime("%Y-%m") in _batches(third, "successful")
    assert _ids(project) == [2, 3, 4, 5, 7]

    # an explicit backfill rebuilds exactly the given range (row 8 arrives in the oldest month)
    fourth = project.run("run", "-s", "monthly", "--event-time-start", M[-3].strftime("%Y-%m-%d"),
                         "--event-time-end", M[-2].strftime("%Y-%m-%d"))
    assert _batches(fourth, "successful") == [M[-3].strftime("%Y-%m")]
    assert _ids(project) == [2, 3, 4, 5, 7, 8]
    assert _ledger(project) == months  # one row per batch, however often it was built


def test_a_failed_batch_is_retried_alone(tmp_path: object, warehouse: Warehouse) -> None:
    project = Project(tmp_path / "mbf", warehouse, _files(warehouse, fail=True))  # type: ignore[operator]
    bad = M[-2].strftime("%Y%m")
    run = project.run("build", "--vars", json.dumps({"fail_batch": bad}), expect=1)
    assert run.status(model("monthly")) == "partial success"
    assert _batches(run, "failed") == [M[-2].strftime("%Y-%m")]
    assert _ids(project) == [2, 3, 5, 6]  # every other batch is built and kept
    assert M[-2].strftime("%Y-%m") not in _ledger(project)
    state = project.root / "state"
    state.mkdir()
    (state / "run_results.json").write_text((project.root / "target" / "run_results.json").read_text())
    retry = project.run("retry", "--state", str(state), "--vars", json.dumps({"fail_batch": "none"}))
    assert retry.status(model("monthly")) == "success"
    assert _batches(retry, "successful") == [M[-2].strftime("%Y-%m")]  # that batch alone
    assert _ids(project) == [2, 3, 4, 5, 6]
    assert len(_ledger(project)) == 4


def test_microbatch_config_errors_name_the_model(tmp_path: object, warehouse: Warehouse) -> None:
    files = _files(warehouse)
    files["models/monthly.sql"] = ("{{ config(materialized='incremental', incremental_strategy='microbatch', "
                                   "event_time='ts', begin='2024-01-01') }}\nselect 1 as id, current_timestamp as ts")
    project = Project(tmp_path / "mbe", warehouse, files)  # type: ignore[operator]
    run = project.run("build", expect=1)
    assert "batch_size" in run.output and "models/monthly.sql" in run.output


def _forget_batch(project: Project, month: datetime, row_id: int) -> None:
    """Lose a built batch: its ledger entry and its row (the month's only one), as a failed write would."""
    ledger = project.warehouse.qualify(project.schema, "mason_microbatch_batches")
    target = project.warehouse.qualify(project.schema, "monthly")
    start = month.strftime("%Y-%m-%d %H:%M:%S")
    if project.warehouse.name == "spark":  # parquet tables have no DELETE: drop the partitions
        _exec(project, f"alter table {ledger} drop partition (model_id = '{model('monthly')}', batch_start = '{start}')")
        _exec(project, f"alter table {target} drop partition (ts_month = '{month.strftime('%Y-%m-%d')}')")
    else:
        _exec(project, f"delete from {ledger} where batch_start = '{start}'")
        _exec(project, f"delete from {target} where id = {row_id}")
    assert row_id not in _ids(project)
    assert month.strftime("%Y-%m") not in _ledger(project)


def _exec(project: Project, sql: str) -> None:
    """Run a statement on the warehouse through Mason (no second connection to keep open)."""
    project.write({"macros/exec_sql.sql": "{% macro exec_sql(sql) %}{% do run_query(sql) %}{% endmacro %}"})
    project.run("run-operation", "exec_sql", "--args", json.dumps({"sql": sql}))


def test_an_unfiltered_upstream_adds_each_row_once(tmp_path: object, warehouse: Warehouse) -> None:
    """A model reading an upstream without event_time gets every row in every batch's query; as in dbt, the
    first batch creates the table from all of them and later batches write only their window."""
    files = _files(warehouse)
    files["models/stg_events.sql"] = "{{ config(materialized='view') }}\nselect id, ts, amount from {{ ref('raw_events') }}"
    project = Project(tmp_path / "mbu", warehouse, files)  # type: ignore[operator]
    project.run("seed")
    window = ("--event-time-start", M[-3].strftime("%Y-%m-%d"), "--event-time-end", M[0].strftime("%Y-%m-%d"))
    first = project.run("run", *window)
    assert len(_batches(first, "successful")) == 3
    assert _ids(project) == [1, 2, 3, 4, 5, 6]  # the first batch's rows: all of them, once
    project.run("run", "-s", "monthly", "--event-time-start", M[-2].strftime("%Y-%m-%d"),
                "--event-time-end", M[-1].strftime("%Y-%m-%d"))
    assert _ids(project) == [1, 2, 3, 4, 5, 6]
