"""The seed loader on a real DuckDB file: dbt's inferred types, contents, reloads, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mason.adapters.duckdb.adapter import DuckDBAdapter
from mason.adapters.seed_types import ColumnFacts, infer_column_type, match_column_types
from mason.adapters.target import Target
from mason.errors import DatabaseError, MasonError, ParseError
from mason.execute.seeds import load_seed
from mason.nodes.nodes import Node

SHOP = Path(__file__).resolve().parents[1] / "e2e" / "projects" / "shop"
SEEDS = SHOP / "seeds"
EXPECTED = SHOP / "expected" / "build" / "tables"
# the column_types dbt_project.yml gives the shop seeds
SHOP_COLUMN_TYPES: dict[str, dict[str, str]] = {
    "raw_payments": {"amount": "integer", "payment_method": "varchar(32)"},
    "raw_type_samples": {"big_int_col": "bigint"},
}


@pytest.fixture()
def adapter(tmp_path: Path) -> Iterator[DuckDBAdapter]:
    db_file = tmp_path / "warehouse.duckdb"
    target = Target(profile_name="p", target_name="dev", type="duckdb", threads=1, database=db_file.stem,
                    schema="main", credentials={"type": "duckdb", "path": str(db_file)})
    a = DuckDBAdapter(target)
    yield a
    a.close()


def _node(name: str, schema: str = "main", **config: Any) -> Node:
    cfg: dict[str, Any] = {"column_types": {}, "quote_columns": None, "delimiter": ",", "full_refresh": None}
    cfg.update(config)
    return Node(unique_id=f"seed.shop.{name}", resource_type="seed", package_name="shop", name=name,
                path=f"{name}.csv", original_file_path=f"seeds/{name}.csv", fqn=("shop", name), raw_code="",
                checksum="", config=cfg, database="warehouse", schema=schema, alias=name)


def _load(adapter: DuckDBAdapter, name: str, csv_path: Path, *, schema: str = "main", flag: bool = False,
          empty: bool = False, **config: Any) -> Any:
    """Load with the --full-refresh flag set to `flag`; `config` is the node's config."""
    node = _node(name, schema, **config)
    rel = adapter.make_relation("warehouse", schema, name, "table")
    return load_seed(adapter, node, rel, csv_path, full_refresh=flag, empty=empty)


def _types(adapter: DuckDBAdapter, name: str, schema: str = "main") -> list[list[str]]:
    rel = adapter.make_relation("warehouse", schema, name)
    return [[c.name, c.dtype] for c in adapter.get_columns(rel)]


def _rows(adapter: DuckDBAdapter, name: str, schema: str = "main") -> list[tuple[Any, ...]]:
    _, table = adapter.execute(f'select * from "warehouse"."{schema}"."{name}"', fetch=True)
    assert table is not None
    return [tuple(r) for r in table.rows]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------- the shop seeds
def test_shop_seeds_match_dbt_types_and_contents(adapter: DuckDBAdapter) -> None:
    expected_types = json.loads((EXPECTED / "_types.json").read_text())
    for csv_path in sorted(SEEDS.glob("*.csv")):
        name = csv_path.stem
        outcome = _load(adapter, name, csv_path, quote_columns=False,
                        column_types=SHOP_COLUMN_TYPES.get(name, {}))
        assert outcome.status == "success"
        columns = expected_types[f"main.{name}"]["columns"]
        assert _types(adapter, name) == columns, name

        expected_csv = EXPECTED / f"main.{name}.csv"
        spec = ", ".join(f"'{col}': '{dtype}'" for col, dtype in columns)
        con = duckdb.connect()
        want = con.execute(
            f"select * from read_csv('{expected_csv}', header = true, auto_detect = false, "
            f"quote = '\"', escape = '\"', columns = {{{spec}}})").fetchall()
        con.close()
        got = _rows(adapter, name)
        assert got == want, name
        assert outcome.message == f"INSERT {len(want)}"
        assert outcome.response.rows_affected == len(want)
        assert outcome.response.code == "INSERT"


def test_type_samples_values(adapter: DuckDBAdapter) -> None:
    _load(adapter, "raw_type_samples", SEEDS / "raw_type_samples.csv", column_types={"big_int_col": "bigint"})
    _, table = adapter.execute(
        "select zip_code, text_col, bool_caps_col, ts_iso_col, empty_col from warehouse.main.raw_type_samples",
        fetch=True)
    assert table is not None
    rows = [tuple(r) for r in table.rows]
    assert [r[0] for r in rows] == [1234, 98765, 501, 10001]  # '01234' loads as the integer 1234
    assert [r[1] for r in rows] == ["alpha", "hello, world", None, 'say "hi"']
    assert [r[2] for r in rows] == [True, False, True, False]
    assert all(r[4] is None for r in rows)


# ------------------------------------------------------------------------------------------- inference
def test_inference_rules(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "kinds.csv", "\n".join([
        "i,big,num,d,dt,iso,b,t,nulls,padded,mixed_dates,word_null,sci,whole",
        "1,3000000000,1,2020-01-05,2020-01-01 10:00:00,2020-01-01T10:00:00Z,TRUE,x,,007,2020-01-01,null,1e3,"
        "100.00",
        "-2,1,2.5,2021-12-31,2021-12-31 23:59:59,2020-01-01T10:00:00+02:00,false,1,NULL, 8 ,"
        "2020-01-01 10:00:00,Null,2,-4000000000.0",
        "+3,,,,,,,,,,,NULL,,",
    ]) + "\n")
    _load(adapter, "kinds", csv_path)
    # numbers that are all whole (1e3, 100.00) make an integer column, as dbt-duckdb 1.11 gives them
    assert _types(adapter, "kinds") == [
        ["i", "INTEGER"], ["big", "BIGINT"], ["num", "DOUBLE"], ["d", "DATE"], ["dt", "TIMESTAMP"],
        ["iso", "TIMESTAMP"], ["b", "BOOLEAN"], ["t", "VARCHAR"], ["nulls", "INTEGER"], ["padded", "INTEGER"],
        ["mixed_dates", "VARCHAR"], ["word_null", "INTEGER"], ["sci", "INTEGER"], ["whole", "BIGINT"],
    ]
    rows = _rows(adapter, "kinds")
    assert [r[0] for r in rows] == [1, -2, 3]
    assert [r[5].isoformat() if r[5] else None for r in rows] == [
        "2020-01-01T10:00:00", "2020-01-01T08:00:00", None]  # offsets converted to UTC
    assert [r[8] for r in rows] == [None, None, None]
    assert [r[9] for r in rows] == [7, 8, None]
    assert [r[12] for r in rows] == [1000, 2, None] and [r[13] for r in rows] == [100, -4000000000, None]


def test_infer_column_type_unit() -> None:
    assert infer_column_type(ColumnFacts()).sql_type == "INTEGER"
    assert infer_column_type(ColumnFacts(non_null=1, fits_int32=False)).sql_type == "BIGINT"
    assert infer_column_type(ColumnFacts(non_null=1, fits_int32=False, fits_int64=False)).sql_type == "HUGEINT"
    assert infer_column_type(ColumnFacts(non_null=1, integer=False, integral=False)).sql_type == "DOUBLE"
    whole = infer_column_type(ColumnFacts(non_null=1, integer=False, fits_int32=False))  # 3e9, 100.00
    assert (whole.kind, whole.sql_type) == ("integral", "BIGINT")
    assert infer_column_type(ColumnFacts(non_null=1, integer=False, integral=False, number=False)).sql_type == "DATE"
    text = ColumnFacts(1, False, False, False, False, False, False, False, False, False)
    assert infer_column_type(text).sql_type == "VARCHAR"
    assert match_column_types(["Amount", "x"], {"amount": "int", "nope": "int", "x": "text"}) == {
        "Amount": "int", "x": "text"}


def test_odd_names_quote_columns_and_delimiter(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "odd.csv", 'Order Id|select|"Mixed ""Case"""\n1|a|x\n2|"b|c"|y\n')
    _load(adapter, "odd", csv_path, delimiter="|", quote_columns=True)
    assert _types(adapter, "odd") == [["Order Id", "INTEGER"], ["select", "VARCHAR"], ['Mixed "Case"', "VARCHAR"]]
    assert _rows(adapter, "odd") == [(1, "a", "x"), (2, "b|c", "y")]


def test_new_schema_is_created(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "s.csv", "a\n1\n")
    _load(adapter, "s", csv_path, schema="fresh_schema")
    assert _rows(adapter, "s", "fresh_schema") == [(1,)]


# --------------------------------------------------------------------------------------------- reloads
def test_reload_replaces_rows_and_keeps_types(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "r.csv", "id,amount,label\n1,10,a\n2,20,b\n")
    _load(adapter, "r", csv_path, column_types={"amount": "bigint"})
    assert _types(adapter, "r") == [["id", "INTEGER"], ["amount", "BIGINT"], ["label", "VARCHAR"]]
    _write(csv_path, "id,amount,label\n3,1.5,7\n4,40,8\n5,,9\n")
    outcome = _load(adapter, "r", csv_path, column_types={"amount": "bigint"})
    assert outcome.message == "INSERT 3"
    assert _types(adapter, "r") == [["id", "INTEGER"], ["amount", "BIGINT"], ["label", "VARCHAR"]]
    assert _rows(adapter, "r") == [(3, 2, "7"), (4, 40, "8"), (5, None, "9")]


def test_reload_with_other_columns_needs_full_refresh(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "m.csv", "id,name\n1,a\n")
    _load(adapter, "m", csv_path)
    _write(csv_path, "id,name,extra\n2,b,c\n")
    with pytest.raises(DatabaseError) as info:
        _load(adapter, "m", csv_path)
    assert "--full-refresh" in str(info.value)
    assert str(csv_path) in str(info.value)
    assert _rows(adapter, "m") == [(1, "a")]  # untouched

    outcome = _load(adapter, "m", csv_path, flag=True)
    assert outcome.message == "CREATE 1"  # dbt's word for a load under --full-refresh
    assert _types(adapter, "m") == [["id", "INTEGER"], ["name", "VARCHAR"], ["extra", "VARCHAR"]]
    assert _rows(adapter, "m") == [(2, "b", "c")]


def test_node_full_refresh_config_overrides_flag(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "f.csv", "id\n1\n")
    _load(adapter, "f", csv_path)
    _write(csv_path, "id\nx\n")
    # the flag asks for a full refresh but the node says no: the table keeps its INTEGER column
    with pytest.raises(DatabaseError):
        _load(adapter, "f", csv_path, flag=True, full_refresh=False)
    assert _rows(adapter, "f") == [(1,)]
    # the node config asks for it without the flag
    _load(adapter, "f", csv_path, flag=False, full_refresh=True)
    assert _types(adapter, "f") == [["id", "VARCHAR"]]
    assert _rows(adapter, "f") == [("x",)]


def test_reload_type_mismatch_keeps_old_rows(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "k.csv", "id,n\n1,5\n")
    _load(adapter, "k", csv_path)
    _write(csv_path, "id,n\n1,5\n2,oops\n")
    with pytest.raises(DatabaseError) as info:
        _load(adapter, "k", csv_path)
    err = info.value
    assert err.span is not None and err.span.path == str(csv_path) and err.span.line == 3
    assert "'oops'" in str(err)
    assert _rows(adapter, "k") == [(1, 5)]


def test_full_refresh_replaces_a_view(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    adapter.execute("create view warehouse.main.v as select 1 as id")
    csv_path = _write(tmp_path / "v.csv", "id,x\n1,2\n")
    _load(adapter, "v", csv_path)
    assert _rows(adapter, "v") == [(1, 2)]


# ---------------------------------------------------------------------------------------------- errors
def test_bad_value_under_column_types(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "bad.csv", 'id,amount\n1,10\n2,"multi\nline"\n')
    with pytest.raises(DatabaseError) as info:
        _load(adapter, "bad", csv_path, column_types={"amount": "integer"})
    err = info.value
    assert str(csv_path) in str(err)
    assert err.span is not None and err.span.line == 3
    assert "amount" in str(err)
    assert adapter.get_relation("warehouse", "main", "bad") is None


def test_all_columns_typed_reads_the_file_once_and_reports_bad_values(adapter: DuckDBAdapter,
                                                                       tmp_path: Path) -> None:
    """Every column in column_types: loaded straight from the file (no staging table, no inference)."""
    types = {"id": "integer", "amount": "decimal(10,2)", "day": "date"}
    good = _write(tmp_path / "typed.csv", "id,amount,day\n1,10.5,2024-01-02\n2,,2024-02-03\n3,null,\n")
    outcome = _load(adapter, "typed", good, column_types=types)
    assert outcome.message == "INSERT 3"
    _, table = adapter.execute("select id, amount, day from warehouse.main.typed order by id", fetch=True)
    assert table is not None and [tuple(r) for r in table.rows] == [
        (1, Decimal("10.50"), date(2024, 1, 2)), (2, None, date(2024, 2, 3)), (3, None, None)]
    _, cols = adapter.execute("select data_type from information_schema.columns where table_name = 'typed' "
                              "order by ordinal_position", fetch=True)
    assert cols is not None and [r[0] for r in cols.rows] == ["INTEGER", "DECIMAL(10,2)", "DATE"]
    bad = _write(tmp_path / "typed_bad.csv", "id,amount,day\n1,1,2024-01-02\n2,x,2024-01-03\n")
    with pytest.raises(DatabaseError) as info:
        _load(adapter, "typed_bad", bad, column_types=types)
    assert info.value.span is not None and info.value.span.line == 3 and "amount" in str(info.value)
    ragged = _write(tmp_path / "typed_rag.csv", "id,amount,day\n1,1,2024-01-02\n2\n")
    with pytest.raises(ParseError) as rag:
        _load(adapter, "typed_rag", ragged, column_types=types)
    assert rag.value.span is not None and rag.value.span.line == 3
    assert adapter.get_relation("warehouse", "main", "typed_bad") is None
    assert adapter.get_relation("warehouse", "main", "typed_rag") is None


def test_unknown_column_type(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "u.csv", "id\n1\n")
    with pytest.raises(DatabaseError) as info:
        _load(adapter, "u", csv_path, column_types={"id": "notatype"})
    assert str(csv_path) in str(info.value)


def test_ragged_row_is_a_parse_error(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "rag.csv", "a,b\n1,2\n3\n")
    with pytest.raises(ParseError) as info:
        _load(adapter, "rag", csv_path)
    assert info.value.span is not None and info.value.span.line == 3
    assert str(csv_path) in str(info.value)


@pytest.mark.parametrize("text", ["", "a,,b\n1,2,3\n", "a,A\n1,2\n"])
def test_bad_headers(adapter: DuckDBAdapter, tmp_path: Path, text: str) -> None:
    csv_path = _write(tmp_path / "h.csv", text)
    with pytest.raises(ParseError):
        _load(adapter, "h", csv_path)


def test_missing_file(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    with pytest.raises(MasonError):
        _load(adapter, "nope", tmp_path / "nope.csv")


# ------------------------------------------------------------------------------------------ empty, size
def test_empty_flag_creates_columns_without_rows(adapter: DuckDBAdapter) -> None:
    outcome = _load(adapter, "raw_orders", SEEDS / "raw_orders.csv", empty=True)
    assert outcome.message == "INSERT 0"
    assert _types(adapter, "raw_orders") == [["id", "INTEGER"], ["user_id", "INTEGER"], ["order_date", "DATE"],
                                             ["status", "VARCHAR"]]
    assert _rows(adapter, "raw_orders") == []
    _load(adapter, "raw_orders", SEEDS / "raw_orders.csv")
    assert len(_rows(adapter, "raw_orders")) > 0
    _load(adapter, "raw_orders", SEEDS / "raw_orders.csv", empty=True)
    assert _rows(adapter, "raw_orders") == []


def test_header_only_file(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "ho.csv", "a,b\n")
    outcome = _load(adapter, "ho", csv_path)
    assert outcome.message == "INSERT 0"
    assert _types(adapter, "ho") == [["a", "INTEGER"], ["b", "INTEGER"]]


def test_large_generated_csv(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    n = 200_000
    csv_path = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(
        f"copy (select i as id, i * 0.5 as half, 'name ' || i as label, "
        f"date '2020-01-01' + cast(i % 1000 as integer) as day, i % 2 = 0 as even "
        f"from range({n}) t(i)) to '{csv_path}' (header, delimiter ',')")
    con.close()
    outcome = _load(adapter, "big", csv_path)
    assert outcome.message == f"INSERT {n}"
    assert _types(adapter, "big") == [["id", "INTEGER"], ["half", "DOUBLE"], ["label", "VARCHAR"],
                                      ["day", "DATE"], ["even", "BOOLEAN"]]
    _, table = adapter.execute(
        "select count(*), sum(id), min(day), max(label), count(*) filter (where even) from warehouse.main.big",
        fetch=True)
    assert table is not None
    count, total, first_day, _, evens = table.rows[0]
    assert (count, total, str(first_day), evens) == (n, n * (n - 1) // 2, "2020-01-01", n // 2)
    # row order is the file's
    _, table = adapter.execute("select id from warehouse.main.big limit 5 offset 1000", fetch=True)
    assert table is not None
    assert [r[0] for r in table.rows] == [1000, 1001, 1002, 1003, 1004]


def test_values_past_the_inference_sample_count(adapter: DuckDBAdapter, tmp_path: Path) -> None:
    # types are guessed on the first rows, then checked on all of them: late surprises must still count
    lines = ["ints_then_text,ints_then_float,nulls_then_dates,ints_then_big,bools"]
    lines += [f"{i},{i},,{i},true" for i in range(6000)]
    lines.append("abc,2.5,2020-01-02,9000000000,FALSE")
    csv_path = _write(tmp_path / "late.csv", "\n".join(lines) + "\n")
    outcome = _load(adapter, "late", csv_path)
    assert outcome.message == "INSERT 6001"
    assert _types(adapter, "late") == [["ints_then_text", "VARCHAR"], ["ints_then_float", "DOUBLE"],
                                       ["nulls_then_dates", "DATE"], ["ints_then_big", "BIGINT"],
                                       ["bools", "BOOLEAN"]]
    last = _rows(adapter, "late")[-1]
    assert (last[0], last[1], str(last[2]), last[3], last[4]) == ("abc", 2.5, "2020-01-02", 9000000000, False)


def test_fully_typed_seed_read_directly_gives_what_the_careful_way_gives(adapter: DuckDBAdapter,
                                                                          tmp_path: Path) -> None:
    """Every column typed: the CSV reader parses straight into the types; where it could differ (text
    holding blanks or spaced NULL spellings, padded numbers) the careful load decides."""
    types = {"id": "integer", "note": "varchar", "day": "date"}
    clean = _write(tmp_path / "clean.csv", "id,note,day\n1,a,2024-01-02\n2,NULL,\n3,,2024-01-03\n")
    _load(adapter, "clean", clean, column_types=types)
    assert _rows(adapter, "clean") == [(1, "a", date(2024, 1, 2)), (2, None, None), (3, None, date(2024, 1, 3))]
    odd = _write(tmp_path / "odd.csv", "id,note,day\n 4 , null ,2024-01-02\n5,   ,\n6,nUlL,2024-01-04\n")
    _load(adapter, "odd", odd, column_types=types)
    assert _rows(adapter, "odd") == [(4, None, date(2024, 1, 2)), (5, None, None), (6, None, date(2024, 1, 4))]
    assert _types(adapter, "odd") == [["id", "INTEGER"], ["note", "VARCHAR"], ["day", "DATE"]]
