"""Scenario: contracts on every warehouse. A contracted table's constraints are in its DDL where the warehouse
enforces them (DuckDB, PostgreSQL: an insert breaking not_null or check fails) and reported as not enforced
where it does not (Spark: the same insert goes through); a query that breaks the contract fails before any
DDL; a contracted source is checked against its live table before its readers run."""

from __future__ import annotations

import pytest

from .conftest import Project, Warehouse, model


def _statement(project: Project, sql: str) -> None:
    """Run a statement outside Mason, committed."""
    if project.warehouse.name == "duckdb":
        import duckdb

        con = duckdb.connect(str(project.root / "warehouse.duckdb"))
        try:
            con.execute(sql)
        finally:
            con.close()
    else:
        project.query_commit(sql)


def _models(wh: Warehouse) -> dict[str, str]:
    text, integer = wh.types["text"], wh.types["integer"]
    return {
        "models/t.sql": "select 1 as id, 'a' as name",
        "models/bad.sql": "select 'x' as id, 'a' as name",
        "models/schema.yml": f"""
            version: 2
            models:
              - name: t
                config:
                  contract: {{enforced: true}}
                columns:
                  - name: id
                    data_type: {integer}
                    constraints:
                      - type: not_null
                      - type: check
                        expression: "id > 0"
                  - name: name
                    data_type: {text}
              - name: bad
                config:
                  contract: {{enforced: true}}
                columns:
                  - name: id
                    data_type: {integer}
                  - name: name
                    data_type: {text}
            """,
    }


@pytest.fixture(scope="module")
def contracted(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    project = Project(tmp_path_factory.mktemp("contracts"), warehouse, _models(warehouse),
                      project_yml="models:\n  conformance:\n    +materialized: table\n")
    for _ in range(2):  # a build, then a rebuild of the constrained table
        run = project.run("run", expect=1)
        assert run.status(model("t")) == "success" and run.status(model("bad")) == "error", run.output
    return project, run.stdout


def test_constraints_enforced_or_reported(contracted: tuple[Project, str]) -> None:
    project, output = contracted
    table = project.warehouse.qualify(project.schema, project.warehouse.stored_name("t"))
    if project.warehouse.name == "spark":
        # written as asked, with a warning per constraint: Spark keeps none
        assert "the constraint type not_null (column id) is not enforced by spark" in output
        assert "the constraint type check (column id) is not enforced by spark" in output
        _statement(project, f"insert into {table} values (null, 'b')")
        assert (None, "b") in project.rows("t")
        return
    assert "not enforced" not in output
    for values in ("(null, 'b')", "(-1, 'c')"):
        with pytest.raises(Exception, match="(?i)null|check"):
            _statement(project, f"insert into {table} values {values}")
    assert project.rows("t") == [(1, "a")]


def test_a_broken_contract_fails_before_any_ddl(contracted: tuple[Project, str]) -> None:
    project, output = contracted
    assert "data type mismatch" in output and "models/schema.yml:" in output
    assert project.warehouse.stored_name("bad") not in project.relations()


SOURCES = """
version: 2
sources:
  - name: raw
    schema: {schema}
    config:
      contract: {{enforced: true}}
    tables:
      - name: orders
        identifier: raw_orders
        columns:
          - name: id
            data_type: {integer}
            constraints: [{{type: not_null}}, {{type: unique}}]
          - name: amount
            data_type: {integer}
"""


def test_source_contracts(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    project = Project(tmp_path_factory.mktemp("source_contracts"), warehouse, {
        "seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n",
        "models/orders.sql": "select * from {{ source('raw', 'orders') }}",
        "models/sources.yml": SOURCES.format(schema=warehouse.schema, integer=warehouse.types["integer"]),
    })
    run = project.run("build")
    assert run.status("source.conformance.raw.orders") == "pass" and run.status(model("orders")) == "success"
    project.write({"seeds/raw_orders.csv": "id,amount\n1,10\n1,20\n,30\n"})
    run = project.run("build", expect=1)
    assert run.status("source.conformance.raw.orders") == "fail" and run.status(model("orders")) == "skipped"
    message = run.results["source.conformance.raw.orders"]["message"]
    assert "| id " in message and "1 null row" in message and "1 duplicate row" in message, message
    assert project.run("source", "check", expect=1).status("source.conformance.raw.orders") == "fail"
    project.write({"seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n"})
    project.run("seed")
    assert project.run("source", "check").status("source.conformance.raw.orders") == "pass"
