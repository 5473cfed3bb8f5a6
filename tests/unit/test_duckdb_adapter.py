"""The DuckDB adapter: statements, relation cache, query comments, cancellation from another thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mason.adapters.duckdb.adapter import DuckDBAdapter
from mason.adapters.target import Target
from mason.errors import DatabaseError, ProjectError


def _adapter(tmp_path: Path, **creds: object) -> DuckDBAdapter:
    db = tmp_path / "t.duckdb"
    target = Target("p", "dev", "duckdb", 1, "t", "main", {"type": "duckdb", "path": str(db), **creds})
    return DuckDBAdapter(target, tmp_path)


def test_execute_fetch_and_relations(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    try:
        adapter.create_schema("t", "s")
        adapter.execute('create table "t"."s"."x" as select 1 as a, \'b\' as b')
        _, table = adapter.execute('select * from "t"."s"."x"', fetch=True)
        assert table is not None and table.column_names == ("a", "b") and table.rows[0]["b"] == "b"
        rel = adapter.get_relation("t", "s", "X")
        assert rel is not None and rel.type == "table"
        assert [c.name for c in adapter.get_columns(rel)] == ["a", "b"]
        with pytest.raises(DatabaseError):
            adapter.execute("select * from nowhere")
    finally:
        adapter.close()


def test_query_comment_is_sent_and_harmless(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    try:
        adapter.set_query_comment('{"app": "dbt", "node_id": "model.p.a"} */ drop table x; /*')
        assert adapter._with_comment("select 1").startswith("/* {")
        assert "*/ drop" not in adapter._with_comment("select 1")
        _, table = adapter.execute("select 42 as answer", fetch=True)
        assert table is not None and table.rows[0][0] == 42
        adapter.set_query_comment("c", append=True)
        assert adapter._with_comment("select 1") == "select 1\n/* c */"
        adapter.set_query_comment(None)
        assert adapter._with_comment("select 1") == "select 1"
    finally:
        adapter.close()


def test_cancel_interrupts_a_running_worker_statement(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            adapter.execute("select count(*) from range(3000000) a(i), range(3000000) b(j) where (i + j) % 97 = 1")
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(1.0)
    adapter.cancel()
    thread.join(timeout=20)
    try:
        assert not thread.is_alive()
        assert errors and isinstance(errors[0], DatabaseError)
    finally:
        adapter.close()


def test_bad_settings_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="profiles.yml|DuckDB"):
        _adapter(tmp_path, settings={"no_such_setting": 1})
