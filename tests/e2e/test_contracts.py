"""Model contracts on DuckDB, compared with what dbt-core 1.11.16 (dbt-duckdb 1.11.1) does on the same small
projects (the expected statuses, mismatch tables, messages and manifest values below were recorded by
running dbt there; the tests do not need dbt), and source contracts (a Mason addition)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import duckdb
import pytest

from .conftest import PROFILE, Result, run_mason

SCHEMA = """
version: 2
models:
  - name: good_table
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
        constraints:
          - type: not_null
          - type: primary_key
      - name: name
        data_type: varchar
        constraints:
          - type: unique
      - name: amount
        data_type: decimal(10,2)
        constraints:
          - type: check
            expression: "amount >= 0"
  - name: bad_types
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
      - name: name
        data_type: text
      - name: amount
        data_type: double
  - name: missing_col
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
      - name: name
        data_type: varchar
  - name: extra_col
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: int
      - name: name
        data_type: string
  - name: nn_violation
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
        constraints:
          - type: not_null
      - name: name
        data_type: varchar
  - name: alias_false
    config:
      contract: {enforced: true, alias_types: false}
    columns:
      - name: id
        data_type: int
      - name: name
        data_type: string
  - name: view_c
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
        constraints:
          - type: not_null
          - type: check
            expression: "id > 0"
      - name: name
        data_type: varchar
  - name: view_bad
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
      - name: name
        data_type: varchar
  - name: inc_c
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
        constraints:
          - type: not_null
      - name: name
        data_type: varchar
  - name: model_level
    config:
      contract: {enforced: true}
    constraints:
      - type: primary_key
        columns: [id]
      - type: check
        expression: "id > 0"
        name: id_positive
      - type: unique
        columns: [id, name]
    columns:
      - name: id
        data_type: integer
      - name: name
        data_type: varchar
  - name: fk
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
      - name: good_id
        data_type: integer
        constraints:
          - type: foreign_key
            to: ref('good_table')
            to_columns: [id]
  - name: order_diff
    config:
      contract: {enforced: true}
    columns:
      - name: id
        data_type: integer
      - name: name
        data_type: varchar
"""

MODELS = {
    "good_table": "select 1 as id, 'a' as name, cast(2.5 as decimal(10,2)) as amount",
    "bad_types": "select 'x' as id, 1 as name, 2.5 as amount",
    "missing_col": "select 1 as id",
    "extra_col": "select 1 as id, 'a' as name, 3 as extra",
    "nn_violation": "select cast(null as integer) as id, 'a' as name",
    "alias_false": "select 1 as id, 'a' as name",
    "view_c": "{{ config(materialized='view') }}\nselect 1 as id, 'a' as name",
    "view_bad": "{{ config(materialized='view') }}\nselect 'a' as id, 'a' as name",
    "inc_c": "{{ config(materialized='incremental', on_schema_change='append_new_columns') }}\n"
             "select 1 as id, 'a' as name",
    "model_level": "select 1 as id, 'a' as name",
    "fk": "select 1 as id, 1 as good_id",
    "order_diff": "select 'a' as name, 1 as id",
}

# `dbt run` on this project (dbt-core 1.11.16, dbt-duckdb 1.11.1): statuses, and the mismatch table of each
# failed contract as (column_name, definition_type, contract_type, mismatch_reason)
DBT_STATUS = {
    "alias_false": "success", "bad_types": "error", "extra_col": "error", "good_table": "success",
    "inc_c": "success", "missing_col": "error", "model_level": "success", "nn_violation": "error",
    "order_diff": "success", "view_bad": "error", "view_c": "success", "fk": "success",
}
DBT_MISMATCHES = {
    "bad_types": [("amount", "DECIMAL(2,1)", "DOUBLE", "data type mismatch"),
                  ("id", "VARCHAR", "INTEGER", "data type mismatch"),
                  ("name", "INTEGER", "VARCHAR", "data type mismatch")],
    "extra_col": [("extra", "INTEGER", "", "missing in contract")],
    "missing_col": [("name", "", "VARCHAR", "missing in definition")],
    "view_bad": [("id", "VARCHAR", "INTEGER", "data type mismatch")],
}
DBT_CONTRACT_HEADER = "This model has an enforced contract that failed"  # dbt's first line, case aside
DBT_NOT_NULL = "NOT NULL constraint failed"  # nn_violation's Runtime Error (DuckDB's)
# dbt's parse warning for a view whose columns carry constraints
DBT_VIEW_WARNING = ("Constraint types are not supported for view materializations and will be ignored. "
                    "Set 'warn_unsupported: false' on this constraint to ignore this warning.")
# manifest.json written by `dbt parse`: contract.checksum and primary_key per model
DBT_CHECKSUMS = {
    "alias_false": "7fa2c854cbbcb8dc8dd4bdd2d167d15a4bc92d523108f9edfe83e654c5d6af58",
    "bad_types": "6e8d21fbe6243c99d24f44c78cab006daf807ddbadd120ba078ab7eb27c799f3",
    "extra_col": "7fa2c854cbbcb8dc8dd4bdd2d167d15a4bc92d523108f9edfe83e654c5d6af58",
    "fk": "41eaefb7b65bacfbc82ce773f816901ad540f0da4ed122b7ded129965bdd6953",
    "good_table": "4b15a608612af2c56acc3bb3716981e19c99c02f2fe87f788c4fa61812fb7a64",
    "inc_c": "2868d30cbfdc628057ee3cc3922424817858321c79bd32221093c49f7f2fc6ed",
    "missing_col": "1cbf0f83ca06d81a7a872416af49481ee148f6fc82ea6b76c3d6e59856774cb3",
    "model_level": "3f64e8f4568e529bca82de350cb2ac229729462d074cee4af36154f8d8fe51a4",
    "nn_violation": "814c1ab314737e32f284b11d024116ff8eb54bb59313a95a7c7404d9258b8a2b",
    "order_diff": "1cbf0f83ca06d81a7a872416af49481ee148f6fc82ea6b76c3d6e59856774cb3",
    "view_bad": "8af0874804d6b64c32955c4f183700276588e8355ec4a3c5a8b5178defc11027",
    "view_c": "ccb29372c010eef2c81f441bd4aa48fe922671c21e436a3b81048a1fa519eb67",
}
DBT_PRIMARY_KEYS = {"good_table": ["id"], "model_level": ["id"]}
DBT_MODEL_CONSTRAINT = {"type": "check", "name": "id_positive", "expression": "id > 0", "warn_unenforced": True,
                        "warn_unsupported": True, "to": None, "to_columns": [], "columns": []}


def make_project(root: Path, files: dict[str, str], project_yml: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n" + project_yml)
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb"))
    write(root, files)
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def results(root: Path) -> dict[str, dict]:
    data = json.loads((root / "target" / "run_results.json").read_text())
    return {r["unique_id"]: r for r in data["results"]}


def query(root: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(root / "p.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def mismatch_rows(message: str) -> list[tuple[str, ...]]:
    rows = []
    for line in message.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.strip().startswith("|") and cells[0] not in ("column_name",) and not set(cells[0]) <= {"-"}:
            rows.append(tuple(cells[:4]))
    return rows


@pytest.fixture(scope="module")
def contracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    files = {f"models/{name}.sql": sql for name, sql in MODELS.items()}
    files["models/schema.yml"] = SCHEMA
    root = make_project(tmp_path_factory.mktemp("contracts") / "p", files,
                        "models:\n  p:\n    +materialized: table\n")
    return root, run_mason(root, "run")


def test_statuses_and_mismatch_tables_match_dbt(contracted: tuple[Path, Result]) -> None:
    root, res = contracted
    assert res.code == 1
    got = results(root)
    assert {uid.split(".")[-1]: r["status"] for uid, r in got.items()} == DBT_STATUS
    for name, rows in DBT_MISMATCHES.items():
        message = got[f"model.p.{name}"]["message"]
        assert DBT_CONTRACT_HEADER.lower() in message.lower(), message
        assert mismatch_rows(message) == rows, message
    assert DBT_NOT_NULL in got["model.p.nn_violation"]["message"]


def test_mismatch_names_the_yml_file_and_line(contracted: tuple[Path, Result]) -> None:
    root, _ = contracted
    lines = (root / "models/schema.yml").read_text().splitlines()
    bad = results(root)["model.p.bad_types"]["message"]
    # the error points at the first mismatching column's declaration, and each row at its own
    first = int(re.match(r"models/schema\.yml:(\d+): ", bad).group(1))
    assert lines[first - 1].strip() == "- name: amount"
    for column in ("amount", "id", "name"):
        row = next(line for line in bad.splitlines() if line.startswith(f"| {column} "))
        where = int(re.search(r"models/schema\.yml:(\d+)", row).group(1))
        assert lines[where - 1].strip() == f"- name: {column}"
        assert "bad_types" in "\n".join(lines[:where])  # under the right model


def test_view_constraints_warn_at_parse_as_dbt(contracted: tuple[Path, Result]) -> None:
    _, res = contracted
    warnings = [line for line in (res.stdout + res.stderr).splitlines() if "materializations" in line]
    assert len(warnings) == 1 and "view_c" in warnings[0] and DBT_VIEW_WARNING in warnings[0]


def test_constraints_are_in_the_ddl_and_enforced(contracted: tuple[Path, Result]) -> None:
    root, _ = contracted
    kinds = {(t, c) for t, c in query(root, "select table_name, constraint_type from duckdb_constraints()")}
    assert {("good_table", "NOT NULL"), ("good_table", "PRIMARY KEY"), ("good_table", "UNIQUE"),
            ("good_table", "CHECK"), ("model_level", "PRIMARY KEY"), ("model_level", "CHECK"),
            ("model_level", "UNIQUE"), ("fk", "FOREIGN KEY"), ("inc_c", "NOT NULL")} <= kinds
    # a view keeps no constraints, and the contract fixes the column order of a table
    assert not {k for k in kinds if k[0] in ("view_c", "order_diff")}
    assert [r[0] for r in query(root, "select column_name from information_schema.columns where "
                                      "table_name = 'order_diff' order by ordinal_position")] == ["id", "name"]
    assert query(root, "select data_type from information_schema.columns where table_name = 'good_table' "
                       "and column_name = 'amount'") == [("DECIMAL(10,2)",)]
    con = duckdb.connect(str(root / "p.duckdb"))
    try:
        for sql in ("insert into good_table values (null, 'b', 1)", "insert into good_table values (2, 'a', 1)",
                    "insert into good_table values (3, 'c', -1)", "insert into fk values (9, 42)"):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(sql)
    finally:
        con.close()


def test_manifest_contract_as_dbt_writes_it(contracted: tuple[Path, Result]) -> None:
    root, _ = contracted
    nodes = json.loads((root / "target/manifest.json").read_text())["nodes"]
    assert {uid.split(".")[-1]: n["contract"]["checksum"] for uid, n in nodes.items()} == DBT_CHECKSUMS
    assert {uid.split(".")[-1]: n["primary_key"] for uid, n in nodes.items() if n["primary_key"]} == DBT_PRIMARY_KEYS
    assert nodes["model.p.alias_false"]["contract"] == {"enforced": True, "alias_types": False,
                                                         "checksum": DBT_CHECKSUMS["alias_false"]}
    assert nodes["model.p.model_level"]["constraints"][1] == DBT_MODEL_CONSTRAINT
    assert nodes["model.p.fk"]["depends_on"]["nodes"] == ["model.p.good_table"]
    assert nodes["model.p.good_table"]["columns"]["name"]["constraints"] == [
        {"type": "unique", "name": None, "expression": None, "warn_unenforced": True, "warn_unsupported": True,
         "to": None, "to_columns": []}]


def test_failed_contract_or_constraint_leaves_the_previous_table(tmp_path: Path) -> None:
    yml = """
        version: 2
        models:
          - name: t
            config:
              contract: {enforced: true}
            columns:
              - name: id
                data_type: integer
                constraints: [{type: not_null}]
        """
    root = make_project(tmp_path / "p", {"models/t.sql": "{{ config(materialized='table') }}\nselect 1 as id",
                                         "models/schema.yml": yml})
    assert run_mason(root, "run").code == 0
    for sql in ("select 'x' as id", "select cast(null as integer) as id"):
        write(root, {"models/t.sql": "{{ config(materialized='table') }}\n" + sql})
        res = run_mason(root, "run")
        assert res.code == 1 and results(root)["model.p.t"]["status"] == "error"
        assert query(root, "select id from t") == [(1,)]


def test_incremental_contract_as_dbt(tmp_path: Path) -> None:
    """dbt: a null id fails the insert; a new column fails with on_schema_change fail and is added with
    append_new_columns (rows [(1, 'a', None), (2, 'a', 5)] after the sequence)."""
    yml = """
        version: 2
        models:
          - name: inc
            config:
              contract: {enforced: true}
            columns:
              - name: id
                data_type: integer
                constraints: [{type: not_null}]
              - name: name
                data_type: varchar
        """
    sql = ("{{ config(materialized='incremental', on_schema_change=var('osc', 'append_new_columns'), "
           "unique_key='id') }}\nselect {{ var('ids', 1) }} as id, 'a' as name {{ var('extra', '') }}")
    root = make_project(tmp_path / "p", {"models/inc.sql": sql, "models/schema.yml": yml})
    assert run_mason(root, "run").code == 0
    res = run_mason(root, "run", "--vars", "{ids: 'cast(null as integer)'}")
    assert res.code == 1 and DBT_NOT_NULL in results(root)["model.p.inc"]["message"]
    write(root, {"models/schema.yml": yml.rstrip(" ") + "              - name: extra_col\n                data_type: integer\n"})
    res = run_mason(root, "run", "--vars", "{ids: 2, extra: ', 5 as extra_col', osc: fail}")
    assert res.code == 1 and "changed: new columns extra_col" in results(root)["model.p.inc"]["message"]
    assert run_mason(root, "run", "--vars", "{ids: 2, extra: ', 5 as extra_col'}").code == 0
    assert query(root, "select * from inc order by id") == [(1, "a", None), (2, "a", 5)]
    assert query(root, "select is_nullable from information_schema.columns where table_name = 'inc' "
                       "and column_name = 'id'") == [("NO",)]


@pytest.mark.parametrize(("materialized", "yml_tail", "message"), [
    # dbt: ValidationError at parse
    ("incremental', on_schema_change='sync_all_columns", "",
     "Invalid value for on_schema_change: sync_all_columns. Models materialized as incremental with contracts "
     "enabled must set on_schema_change to 'append_new_columns' or 'fail'"),
    # dbt: Parsing Error
    ("table", "        constraints: [{type: primary_key}]\n      - name: b\n        data_type: integer\n"
              "        constraints: [{type: primary_key}]\n",
     "Found 2 columns (['a', 'b']) with primary key constraints defined. Primary keys for multiple columns must be "
     "defined as a model level constraint."),
    ("table", "        constraints: [{type: not_a_type}]\n",
     "Invalid constraint type on model t: Type must be one of ['check', 'not_null', 'unique', 'primary_key', "
     "'foreign_key', 'custom']"),
])
def test_parse_errors_as_dbt(tmp_path: Path, materialized: str, yml_tail: str, message: str) -> None:
    yml = ("version: 2\nmodels:\n  - name: t\n    config:\n      contract: {enforced: true}\n    columns:\n"
           "      - name: a\n        data_type: integer\n" + yml_tail)
    root = make_project(tmp_path / "p", {"models/t.sql": f"{{{{ config(materialized='{materialized}') }}}}\n"
                                                         "select 1 as a, 2 as b",
                                         "models/schema.yml": yml})
    res = run_mason(root, "parse")
    assert res.code == 1 and message in res.stderr, res.stderr


def test_contract_without_columns_or_types_fails_the_model_as_dbt(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/nocols.sql": "{{ config(materialized='table', contract={'enforced': true}) }}\nselect 1 as id",
        "models/untyped.sql": "{{ config(materialized='table') }}\nselect 1 as id, 2 as x",
        "models/schema.yml": """
            version: 2
            models:
              - name: untyped
                config:
                  contract: {enforced: true}
                columns:
                  - name: id
                    data_type: integer
                  - name: x
            """})
    assert run_mason(root, "run").code == 1
    got = results(root)
    # dbt: "This model has an enforced contract, and its 'columns' specification is missing" and
    # "Contracted models require data_type to be defined for each column. ... for the ['x'] column(s)."
    assert "its 'columns' specification is missing" in got["model.p.nocols"]["message"]
    assert "require data_type" in got["model.p.untyped"]["message"] and "['x']" in got["model.p.untyped"]["message"]


def test_uncontracted_models_pay_nothing(tmp_path: Path) -> None:
    """No contract: the build is the one `create ... as` statement it always was (no describe queries)."""
    root = make_project(tmp_path / "p", {"models/t.sql": "{{ config(materialized='table') }}\nselect 1 as id",
                                         "models/schema.yml": "version: 2\nmodels:\n  - name: t\n    columns:\n"
                                         "      - name: id\n        data_type: varchar\n"
                                         "        constraints: [{type: not_null}]\n"})
    res = run_mason(root, "--debug", "run")
    assert res.code == 0
    statements = [line for line in res.stdout.splitlines() if "sql: " in line]
    assert len(statements) == 1 and "create or replace table" in statements[0], res.stdout
    assert query(root, "select count(*) from duckdb_constraints() where table_name = 't'") == [(0,)]


# ------------------------------------------------------------------------------------------- sources
SOURCES = """
version: 2
sources:
  - name: raw
    schema: main
    config:
      contract: {enforced: true}
    tables:
      - name: orders
        identifier: raw_orders
        columns:
          - name: id
            data_type: integer
            constraints: [{type: primary_key}]
          - name: customer_id
            data_type: integer
            constraints:
              - type: not_null
              - type: foreign_key
                to: source('raw', 'customers')
                to_columns: [id]
          - name: amount
            data_type: double
          - name: status
            constraints:
              - type: check
                expression: "status in ('placed', 'shipped')"
      - name: customers
        identifier: raw_customers
        columns:
          - name: id
            data_type: integer
            constraints: [{type: unique}, {type: not_null}]
      - name: plain
        identifier: raw_customers
        config:
          contract: {enforced: false}
        columns:
          - name: id
            data_type: varchar
"""
GOOD_ORDERS = "id,customer_id,amount,status\n1,10,5.5,placed\n2,11,7.0,shipped\n"
BAD_ORDERS = "id,customer_id,amount,status\n1,10,5.5,placed\n1,,n/a,lost\n2,99,1.0,placed\n"


@pytest.fixture
def sourced(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", {
        "seeds/raw_orders.csv": GOOD_ORDERS,
        "seeds/raw_customers.csv": "id,name\n10,a\n11,b\n",
        "models/orders.sql": "select * from {{ source('raw', 'orders') }}",
        "models/order_totals.sql": "select sum(amount) as total from {{ ref('orders') }}",
        "models/customers.sql": "select * from {{ source('raw', 'customers') }}",
        "models/plain.sql": "select * from {{ source('raw', 'plain') }}",
        "models/sources.yml": SOURCES,
    })


def test_source_contracts_run_before_their_readers(sourced: Path) -> None:
    res = run_mason(sourced, "build")
    assert res.code == 0, res.stdout
    got = results(sourced)
    assert got["source.p.raw.orders"]["status"] == "pass" and got["source.p.raw.customers"]["status"] == "pass"
    assert "source.p.raw.plain" not in got  # not enforced: no check
    order = [line for line in res.stdout.splitlines() if " START " in line]
    seed = next(i for i, line in enumerate(order) if "seed file main.raw_orders" in line)
    check = next(i for i, line in enumerate(order) if "source contract raw.orders" in line)
    model = next(i for i, line in enumerate(order) if "model main.orders" in line)
    assert seed < check < model


def test_a_broken_source_fails_and_skips_its_dependents(sourced: Path) -> None:
    assert run_mason(sourced, "seed").code == 0
    write(sourced, {"seeds/raw_orders.csv": BAD_ORDERS})
    res = run_mason(sourced, "build", "--full-refresh")
    assert res.code == 1
    got = results(sourced)
    assert got["source.p.raw.orders"]["status"] == "fail"
    assert got["source.p.raw.orders"]["failures"] == 5
    assert got["model.p.orders"]["status"] == "skipped" and got["model.p.order_totals"]["status"] == "skipped"
    assert got["model.p.customers"]["status"] == "success"
    message = got["source.p.raw.orders"]["message"]
    lines = (sourced / "models/sources.yml").read_text().splitlines()
    for column, problem in (("id", "unique"), ("customer_id", "not_null"), ("customer_id", "foreign_key"),
                            ("status", "check"), ("amount", "data type mismatch")):
        row = next((r for r in message.splitlines() if r.startswith(f"| {column} ") and problem in r), None)
        assert row is not None, message
        where = int(re.search(r"models/sources\.yml:(\d+)", row).group(1))
        assert lines[where - 1].strip() == f"- name: {column}"
    assert message.startswith("models/sources.yml:8: ")  # the table's entry
    assert lines[7].strip() == "- name: orders"


def test_a_missing_column_or_table_fails_the_source(sourced: Path) -> None:
    assert run_mason(sourced, "seed").code == 0
    write(sourced, {"models/sources.yml": SOURCES.replace("          - name: amount\n",
                                                          "          - name: email\n            data_type: varchar\n"
                                                          "          - name: amount\n")})
    res = run_mason(sourced, "run")
    assert res.code == 1
    message = results(sourced)["source.p.raw.orders"]["message"]
    assert re.search(r"\| email +\| varchar +\| +\| missing in table", message), message
    write(sourced, {"models/sources.yml": SOURCES.replace("identifier: raw_orders", "identifier: nowhere")})
    assert run_mason(sourced, "run", "-s", "orders").code == 1
    got = results(sourced)
    assert got["source.p.raw.orders"]["status"] == "fail" and "does not exist" in got["source.p.raw.orders"]["message"]
    assert got["model.p.orders"]["status"] == "skipped"


def test_mason_source_check(sourced: Path) -> None:
    assert run_mason(sourced, "seed").code == 0
    res = run_mason(sourced, "source", "check")
    assert res.code == 0, res.stdout
    assert {uid: r["status"] for uid, r in results(sourced).items()} == {
        "source.p.raw.orders": "pass", "source.p.raw.customers": "pass"}
    write(sourced, {"seeds/raw_orders.csv": BAD_ORDERS})
    assert run_mason(sourced, "seed", "--full-refresh").code == 0
    res = run_mason(sourced, "source", "check")
    assert res.code == 1 and "FAIL 5 source contract raw.orders" in res.stdout
    res = run_mason(sourced, "source", "check", "-s", "source:raw.customers")
    assert res.code == 0 and list(results(sourced)) == ["source.p.raw.customers"]
    assert query(sourced, "select count(*) from information_schema.tables where table_name = 'orders'") == [(0,)]


def test_rebuilding_a_table_other_tables_reference(tmp_path: Path) -> None:
    """DuckDB cannot replace a table a foreign key references: the referencing tables are set aside and put
    back (rows and constraints) in the same transaction; a key they still need fails the rebuild."""
    yml = """
        version: 2
        models:
          - name: parent
            config:
              contract: {enforced: true}
            columns:
              - name: id
                data_type: integer
                constraints: [{type: primary_key}]
          - name: child
            config:
              contract: {enforced: true}
            columns:
              - name: parent_id
                data_type: integer
                constraints:
                  - type: foreign_key
                    to: ref('parent')
                    to_columns: [id]
        """
    root = make_project(tmp_path / "p", {"models/parent.sql": "select unnest([1, 2]) as id",
                                         "models/child.sql": "select 1 as parent_id",
                                         "models/schema.yml": yml},
                        "models:\n  p:\n    +materialized: table\n")
    assert run_mason(root, "run").code == 0
    assert run_mason(root, "run").code == 0  # both rebuilt
    assert run_mason(root, "run", "-s", "parent").code == 0  # the child kept aside and put back
    assert query(root, "select * from child") == [(1,)]
    assert ("child", "FOREIGN KEY") in query(root, "select table_name, constraint_type from duckdb_constraints()")
    write(root, {"models/parent.sql": "select 2 as id"})
    assert run_mason(root, "run", "-s", "parent").code == 1  # the child's row needs id 1
    assert query(root, "select id from parent order by id") == [(1,), (2,)]
    assert query(root, "select * from child") == [(1,)]
