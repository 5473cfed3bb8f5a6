"""The snapshot materialization on a real DuckDB file: scenarios checked row by row against dbt's results.

Expected tables were derived by running the same scenarios through dbt-core 1.11 + dbt-duckdb. The
snapshot time is pinned with `now_sql` so every value (including the check strategy's hashes) is exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mason.adapters.duckdb.adapter import DuckDBAdapter
from mason.adapters.relation import Relation
from mason.adapters.target import Target
from mason.errors import CompileError, DatabaseError
from mason.execute.snapshots import run_snapshot, snapshot_config
from mason.nodes.nodes import Node

D1 = datetime(2024, 1, 1)
D2 = datetime(2024, 2, 1)
D3 = datetime(2024, 3, 1)
T1 = datetime(2030, 1, 1, 12, 0, 0)
T2 = datetime(2030, 1, 2, 12, 0, 0)
T3 = datetime(2030, 1, 3, 12, 0, 0)
T4 = datetime(2030, 1, 4, 12, 0, 0)

SRC = ("create table src as select * from (values "
       "(1, 'a', timestamp '2024-01-01', 10), (2, 'b', timestamp '2024-01-01', 20), "
       "(3, 'c', timestamp '2024-01-01', 30)) t(id, v, updated_at, n)")


def now(ts: datetime) -> str:
    return f"timestamp '{ts:%Y-%m-%d %H:%M:%S}'"


def ordered(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows in a stable order (NULLs first in each column), so expectations read naturally."""
    return sorted(rows, key=lambda row: tuple((v is not None, v if v is not None else 0) for v in row))


def scd(*parts: Any) -> str:
    def text(p: Any) -> str:
        if p is None:
            return ""
        if isinstance(p, datetime):
            return p.strftime("%Y-%m-%d %H:%M:%S")
        return str(p)
    return hashlib.md5("|".join(text(p) for p in parts).encode()).hexdigest()


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[DuckDBAdapter]:
    db_file = tmp_path / "warehouse.duckdb"
    target = Target(profile_name="p", target_name="dev", type="duckdb", threads=1, database=db_file.stem,
                    schema="main", credentials={"type": "duckdb", "path": str(db_file)})
    ad = DuckDBAdapter(target)
    yield ad
    ad.close()


def make_node(**config: Any) -> Node:
    return Node(unique_id="snapshot.shop.snap", resource_type="snapshot", package_name="shop", name="snap",
                path="snap.sql", original_file_path="snapshots/snap.sql", fqn=("shop", "snap"),
                raw_code="", checksum="", config={"materialized": "snapshot", **config})


class Harness:
    def __init__(self, adapter: DuckDBAdapter, node: Node, sql: str = "select * from src",
                 schema: str = "snapshots") -> None:
        self.adapter = adapter
        self.node = node
        self.sql = sql
        self.relation: Relation = adapter.make_relation("warehouse", schema, "snap")

    def source(self, sql: str) -> None:
        self.adapter.execute(sql)

    def snapshot(self, at: datetime) -> int:
        outcome = run_snapshot(self.adapter, self.node, self.sql, self.relation, now_sql=now(at))
        assert outcome.status == "success" and outcome.message == "OK"
        return outcome.response.rows_affected

    def columns(self) -> list[tuple[str, str]]:
        return [(c.name, c.dtype) for c in self.adapter.get_columns(self.relation)]

    def rows(self, columns: str = "*") -> list[tuple[Any, ...]]:
        _, table = self.adapter.execute(f"select {columns} from {self.relation.render()}", fetch=True)
        assert table is not None
        return ordered([tuple(r) for r in table.rows])


# -- timestamp strategy -----------------------------------------------------------------------------------


def test_timestamp_first_run_creates_table_with_meta_columns(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    assert h.snapshot(T1) == 3
    assert h.columns() == [
        ("id", "INTEGER"), ("v", "VARCHAR"), ("updated_at", "TIMESTAMP"), ("n", "INTEGER"),
        ("dbt_scd_id", "VARCHAR"), ("dbt_updated_at", "TIMESTAMP"), ("dbt_valid_from", "TIMESTAMP"),
        ("dbt_valid_to", "TIMESTAMP"),
    ]
    assert h.rows() == ordered([
        (1, "a", D1, 10, scd(1, D1), D1, D1, None),
        (2, "b", D1, 20, scd(2, D1), D1, D1, None),
        (3, "c", D1, 30, scd(3, D1), D1, D1, None),
    ])
    # the hash dbt produced for the same row
    assert scd(1, D1) == "8bd6037542377309505ab720e545f24e"


def test_timestamp_updates_inserts_and_ignores_deletes(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    h.snapshot(T1)
    h.source("update src set v = 'a2', updated_at = timestamp '2024-02-01' where id = 1;"
             "update src set v = 'c2' where id = 3;"  # changed without a newer updated_at: not a change
             "delete from src where id = 2;"
             "insert into src values (4, 'd', timestamp '2024-03-01', 40)")
    assert h.snapshot(T2) == 3  # one close + two inserts
    assert h.rows() == ordered([
        (1, "a", D1, 10, scd(1, D1), D1, D1, D2),
        (1, "a2", D2, 10, scd(1, D2), D2, D2, None),
        (2, "b", D1, 20, scd(2, D1), D1, D1, None),
        (3, "c", D1, 30, scd(3, D1), D1, D1, None),
        (4, "d", D3, 40, scd(4, D3), D3, D3, None),
    ])
    # an updated_at moving backwards is not a change; an unchanged source changes nothing
    h.source("update src set v = 'a3', updated_at = timestamp '2024-01-15' where id = 1")
    before = h.rows()
    assert h.snapshot(T3) == 0
    assert h.rows() == before


@pytest.mark.parametrize("config", [{"hard_deletes": "invalidate"}, {"invalidate_hard_deletes": True}],
                         ids=["hard_deletes", "legacy"])
def test_timestamp_invalidate_closes_deleted_rows(adapter: DuckDBAdapter, config: dict[str, Any]) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at", **config))
    h.source(SRC)
    h.snapshot(T1)
    h.source("delete from src where id = 2; update src set v = 'c2', updated_at = timestamp '2024-02-01' "
             "where id = 3")
    h.snapshot(T2)
    assert h.rows("id, v, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", D1, None),
        (2, "b", D1, T2),
        (3, "c", D1, D2),
        (3, "c2", D2, None),
    ])
    h.snapshot(T3)  # still deleted: nothing more happens
    assert len(h.rows()) == 4
    # the key comes back: a fresh version, the invalidated one stays closed
    h.source("insert into src values (2, 'b', timestamp '2024-03-01', 20)")
    h.snapshot(T4)
    assert h.rows("id, v, dbt_scd_id, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", scd(1, D1), D1, None),
        (2, "b", scd(2, D1), D1, T2),
        (2, "b", scd(2, D3), D3, None),
        (3, "c", scd(3, D1), D1, D2),
        (3, "c2", scd(3, D2), D2, None),
    ])


def test_timestamp_new_record_tracks_deletions_and_returns(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at",
                                   hard_deletes="new_record"))
    h.source(SRC)
    h.snapshot(T1)
    assert h.columns()[-1] == ("dbt_is_deleted", "VARCHAR")
    assert {r[-1] for r in h.rows()} == {"False"}

    h.source("delete from src where id = 2")
    assert h.snapshot(T2) == 2  # close + deletion record
    cols = "id, v, updated_at, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_is_deleted"
    assert h.rows(cols) == ordered([
        (1, "a", D1, scd(1, D1), D1, D1, None, "False"),
        (2, "b", D1, scd(2, D1), D1, D1, T2, "False"),
        (2, "b", D1, scd(2, T2), T2, T2, None, "True"),  # the deleted row's values, stamped at snapshot time
        (3, "c", D1, scd(3, D1), D1, D1, None, "False"),
    ])
    # running again while the key is still gone adds no second deletion record
    assert h.snapshot(T3) == 0
    assert len(h.rows()) == 4

    # the key returns (with its old updated_at): the deletion record closes at the new valid_from
    h.source("insert into src values (2, 'b', timestamp '2024-01-01', 20)")
    h.snapshot(T4)
    assert h.rows("id, dbt_valid_from, dbt_valid_to, dbt_is_deleted") == ordered([
        (1, D1, None, "False"),
        (2, D1, None, "False"),
        (2, D1, T2, "False"),
        (2, T2, D1, "True"),
        (3, D1, None, "False"),
    ])


def test_added_source_column_is_added_and_dropped_column_kept(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    h.snapshot(T1)
    h.source("alter table src add column extra varchar;"
             "update src set extra = 'e', updated_at = timestamp '2024-02-01' where id = 2")
    h.snapshot(T2)
    assert [c for c, _ in h.columns()][-1] == "extra"
    assert h.rows("id, n, extra, dbt_valid_from, dbt_valid_to") == ordered([
        (1, 10, None, D1, None),
        (2, 20, None, D1, D2),
        (2, 20, "e", D2, None),
        (3, 30, None, D1, None),
    ])
    h.source("alter table src drop column n; update src set updated_at = timestamp '2024-03-01' where id = 1")
    h.snapshot(T3)
    assert "n" in [c for c, _ in h.columns()]
    assert h.rows("id, n, dbt_valid_from, dbt_valid_to") == ordered([
        (1, None, D3, None),
        (1, 10, D1, D3),
        (2, 20, D1, D2),
        (2, 20, D2, None),
        (3, 30, D1, None),
    ])


# -- check strategy ---------------------------------------------------------------------------------------


def test_check_strategy_uses_snapshot_time(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="check", check_cols=["v"]))
    h.source(SRC.replace("(3, 'c',", "(3, null,"))
    assert h.snapshot(T1) == 3
    assert h.columns()[4:] == [("dbt_scd_id", "VARCHAR"), ("dbt_updated_at", "TIMESTAMP"),
                               ("dbt_valid_from", "TIMESTAMP"), ("dbt_valid_to", "TIMESTAMP")]
    assert h.rows("id, v, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", scd(1, T1), T1, T1, None),
        (2, "b", scd(2, T1), T1, T1, None),
        (3, None, scd(3, T1), T1, T1, None),
    ])
    h.source("update src set v = 'a2' where id = 1;"
             "update src set n = 99, updated_at = timestamp '2024-03-01' where id = 2;"  # not checked
             "update src set v = 'x' where id = 3;"  # NULL -> value is a change
             "insert into src values (4, 'd', timestamp '2024-01-01', 40)")
    assert h.snapshot(T2) == 5
    assert h.rows("id, v, n, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", 10, scd(1, T1), T1, T1, T2),
        (1, "a2", 10, scd(1, T2), T2, T2, None),
        (2, "b", 20, scd(2, T1), T1, T1, None),
        (3, "x", 30, scd(3, T2), T2, T2, None),
        (3, None, 30, scd(3, T1), T1, T1, T2),
        (4, "d", 40, scd(4, T2), T2, T2, None),
    ])
    # value -> NULL is a change too; no change means nothing happens
    h.source("update src set v = null where id = 4")
    assert h.snapshot(T3) == 2
    assert h.rows("id, v, dbt_valid_from, dbt_valid_to")[-2:] == ordered([(4, "d", T2, T3), (4, None, T3, None)])
    assert h.snapshot(T4) == 0


def test_check_all_compares_every_column_including_added_ones(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="check", check_cols="all"))
    h.source(SRC)
    h.snapshot(T1)
    h.source("update src set n = 11 where id = 1;"
             "alter table src add column extra varchar; update src set extra = 'e' where id = 2")
    h.snapshot(T2)
    assert h.rows("id, n, extra, dbt_valid_from, dbt_valid_to") == ordered([
        (1, 10, None, T1, T2),
        (1, 11, None, T2, None),
        (2, 20, None, T1, T2),
        (2, 20, "e", T2, None),
        (3, 30, None, T1, None),
    ])


def test_check_strategy_with_updated_at_uses_it_for_validity(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="check", check_cols=["v"], updated_at="updated_at"))
    h.source(SRC)
    h.snapshot(T1)
    h.source("update src set v = 'a2', updated_at = timestamp '2024-02-01' where id = 1;"
             "update src set n = 99 where id = 2")
    h.snapshot(T2)
    assert h.rows("id, v, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", scd(1, D1), D1, D1, D2),
        (1, "a2", scd(1, D2), D2, D2, None),
        (2, "b", scd(2, D1), D1, D1, None),
        (3, "c", scd(3, D1), D1, D1, None),
    ])


def test_check_new_record_return_closes_deletion_record_at_snapshot_time(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="check", check_cols=["v"],
                                   hard_deletes="new_record"))
    h.source(SRC)
    h.snapshot(T1)
    h.source("delete from src where id = 2")
    h.snapshot(T2)
    h.source("insert into src values (2, 'b', timestamp '2024-01-01', 20)")
    h.snapshot(T3)
    assert h.rows("id, dbt_scd_id, dbt_valid_from, dbt_valid_to, dbt_is_deleted") == ordered([
        (1, scd(1, T1), T1, None, "False"),
        (2, scd(2, T1), T1, T2, "False"),
        (2, scd(2, T2), T2, T3, "True"),
        (2, scd(2, T3), T3, None, "False"),
        (3, scd(3, T1), T1, None, "False"),
    ])


# -- dbt_valid_to_current, meta column names, composite keys -----------------------------------------------


@pytest.mark.parametrize("mode", ["invalidate", "new_record"])
def test_dbt_valid_to_current(adapter: DuckDBAdapter, mode: str) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at",
                                   hard_deletes=mode, dbt_valid_to_current="date '9999-12-31'"))
    far = datetime(9999, 12, 31)
    h.source(SRC)
    h.snapshot(T1)
    assert ("dbt_valid_to", "TIMESTAMP") in h.columns()
    assert h.rows("id, dbt_valid_to") == [(1, far), (2, far), (3, far)]
    h.source("update src set v = 'a2', updated_at = timestamp '2024-02-01' where id = 1;"
             "delete from src where id = 2")
    h.snapshot(T2)
    h.source("insert into src values (2, 'b', timestamp '2024-03-01', 20)")
    h.snapshot(T3)
    expected = [
        (1, "a", D1, D2),
        (1, "a2", D2, far),
        (2, "b", D1, T2),
        (2, "b", D3, far),
        (3, "c", D1, far),
    ]
    if mode == "new_record":
        expected.insert(3, (2, "b", T2, D3))  # the deletion record, closed when the key came back
    assert h.rows("id, v, dbt_valid_from, dbt_valid_to") == ordered(expected)


def test_renamed_meta_columns_with_composite_key(adapter: DuckDBAdapter) -> None:
    names = {"dbt_valid_from": "vf", "dbt_valid_to": "vt", "dbt_scd_id": "sid", "dbt_updated_at": "ua",
             "dbt_is_deleted": "del"}
    h = Harness(adapter, make_node(unique_key=["id", "n"], strategy="timestamp", updated_at="updated_at",
                                   hard_deletes="new_record", snapshot_meta_column_names=names))
    h.source(SRC)
    h.snapshot(T1)
    assert [c for c, _ in h.columns()] == ["id", "v", "updated_at", "n", "sid", "ua", "vf", "vt", "del"]
    h.source("update src set v = 'a2', updated_at = timestamp '2024-02-01' where id = 1;"
             "delete from src where id = 2;"
             "update src set n = 31 where id = 3")  # a new composite key: old one deleted, new one inserted
    h.snapshot(T2)
    assert h.rows() == ordered([
        (1, "a", D1, 10, scd(1, 10, D1), D1, D1, D2, "False"),
        (1, "a2", D2, 10, scd(1, 10, D2), D2, D2, None, "False"),
        (2, "b", D1, 20, scd(2, 20, D1), D1, D1, T2, "False"),
        (2, "b", D1, 20, scd(2, 20, T2), T2, T2, None, "True"),
        (3, "c", D1, 30, scd(3, 30, D1), D1, D1, T2, "False"),
        (3, "c", D1, 30, scd(3, 30, T2), T2, T2, None, "True"),
        (3, "c", D1, 31, scd(3, 31, D1), D1, D1, None, "False"),
    ])
    assert scd(1, 10, D1) == "95419289fa9936a2ac3756dc0916785c"  # dbt's hash for this composite key


def test_none_meta_names_mean_defaults(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at",
                                   snapshot_meta_column_names={"dbt_valid_to": None, "dbt_scd_id": "row_id"}))
    h.source(SRC)
    h.snapshot(T1)
    assert [c for c, _ in h.columns()][4:] == ["row_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"]


def test_new_record_switched_on_later_is_refused_like_dbt(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    h.snapshot(T1)
    before = h.rows()
    h.node = make_node(unique_key="id", strategy="timestamp", updated_at="updated_at", hard_deletes="new_record")
    h.source("delete from src where id = 3")
    with pytest.raises(CompileError, match="missing configured column.*dbt_is_deleted"):
        h.snapshot(T2)
    assert h.rows() == before


def test_renamed_meta_columns_on_existing_table_are_refused(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    h.snapshot(T1)
    h.node = make_node(unique_key="id", strategy="timestamp", updated_at="updated_at",
                       snapshot_meta_column_names={"dbt_valid_to": "valid_until"})
    with pytest.raises(CompileError, match="valid_until"):
        h.snapshot(T2)


# -- atomicity and errors ---------------------------------------------------------------------------------


def test_failed_run_leaves_table_unchanged(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at",
                                   hard_deletes="invalidate"))
    h.source(SRC)
    h.snapshot(T1)
    before, cols = h.rows(), h.columns()

    h.sql = "select * from no_such_table"
    with pytest.raises(DatabaseError):
        h.snapshot(T2)
    assert h.rows() == before

    # a failure after rows were already closed and a column added (n no longer fits INTEGER) rolls back
    h.sql = ("select id, v, updated_at + interval 1 day as updated_at, "
             "case when id = 3 then 'x' else cast(n as varchar) end as n, 'new' as extra from src "
             "where id <> 2")
    with pytest.raises(DatabaseError, match="(?i)convert"):
        h.snapshot(T2)
    assert h.rows() == before
    assert h.columns() == cols
    _, temps = adapter.execute("select * from duckdb_tables() where temporary", fetch=True)
    assert temps is not None and not temps.rows

    h.sql = "select * from src"  # and the snapshot still works afterwards
    h.source("update src set v = 'a2', updated_at = timestamp '2024-02-01' where id = 1")
    h.snapshot(T3)
    assert len(h.rows()) == 4


def test_schema_is_created_and_source_sql_may_end_with_semicolon(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="id", strategy="timestamp", updated_at="updated_at"),
                sql="select * from src -- trailing comment\n;\n", schema="brand_new")
    h.source(SRC)
    h.snapshot(T1)
    assert adapter.get_relation("warehouse", "brand_new", "snap") is not None
    assert len(h.rows()) == 3


@pytest.mark.parametrize(("config", "fragment"), [
    ({"strategy": "timestamp", "updated_at": "updated_at"}, "unique_key"),
    ({"unique_key": "id", "strategy": "timestamp"}, "updated_at"),
    ({"unique_key": "id", "strategy": "sometimes", "updated_at": "updated_at"}, "unknown snapshot strategy"),
    ({"unique_key": "id"}, "strategy"),
    ({"unique_key": "id", "strategy": "check"}, "check_cols"),
    ({"unique_key": "id", "strategy": "check", "check_cols": "all", "hard_deletes": "maybe"}, "hard_deletes"),
    ({"unique_key": "id", "strategy": "check", "check_cols": "all", "hard_deletes": "new_record",
      "invalidate_hard_deletes": True}, "invalidate_hard_deletes"),
])
def test_invalid_config_raises_compile_error(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(CompileError) as info:
        snapshot_config(make_node(**config))
    assert fragment in str(info.value)
    assert "snapshots/snap.sql" in str(info.value)


def test_config_errors_raised_by_run_snapshot_before_touching_the_database(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(strategy="timestamp", updated_at="updated_at"))
    h.source(SRC)
    with pytest.raises(CompileError, match="snapshots/snap.sql"):
        h.snapshot(T1)
    assert adapter.get_relation("warehouse", "snapshots", "snap") is None


@pytest.mark.parametrize(("config", "fragment"), [
    ({"strategy": "timestamp", "updated_at": "changed_at"}, "updated_at 'changed_at'"),
])
def test_columns_missing_from_the_query_raise_compile_error(adapter: DuckDBAdapter, config: dict[str, Any],
                                                            fragment: str) -> None:
    h = Harness(adapter, make_node(unique_key="id", **config))
    h.source(SRC)
    with pytest.raises(CompileError) as info:
        h.snapshot(T1)
    assert fragment in str(info.value) and "snapshots/snap.sql" in str(info.value)
    assert adapter.get_relation("warehouse", "snapshots", "snap") is None
    _, table = adapter.execute("select count(*) from information_schema.tables where table_name = 'snap'",
                               fetch=True)
    assert table is not None and table.rows[0][0] == 0


def test_check_cols_missing_from_the_query_fail_the_second_run(adapter: DuckDBAdapter) -> None:
    """Like dbt, the first run does not read check_cols; the next one fails and changes nothing."""
    h = Harness(adapter, make_node(unique_key="id", strategy="check", check_cols=["v", "nope"]))
    h.source(SRC)
    h.snapshot(T1)
    before = h.rows()
    with pytest.raises(CompileError) as info:
        h.snapshot(T2)
    assert "check_cols 'nope'" in str(info.value) and "snapshots/snap.sql" in str(info.value)
    assert h.rows() == before


def test_unique_key_may_be_an_expression(adapter: DuckDBAdapter) -> None:
    h = Harness(adapter, make_node(unique_key="cast(id as varchar) || '-' || cast(n as varchar)",
                                   strategy="check", check_cols=["v"], hard_deletes="invalidate"))
    h.source(SRC)
    h.snapshot(T1)
    assert h.rows("id, dbt_scd_id")[0] == (1, scd("1-10", T1))
    h.source("update src set v = 'a2' where id = 1; update src set n = 21 where id = 2")
    h.snapshot(T2)
    assert h.rows("id, v, n, dbt_valid_from, dbt_valid_to") == ordered([
        (1, "a", 10, T1, T2),
        (1, "a2", 10, T2, None),
        (2, "b", 20, T1, T2),  # key 2-20 vanished: invalidated
        (2, "b", 21, T2, None),  # key 2-21 is new
        (3, "c", 30, T1, None),
    ])
