"""Scenario 7: custom schemas (+schema, config schema, generate_schema_name override), aliases, quoting."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model

PROJECT_YML = """
    models:
      conformance:
        marts:
          +schema: marts
"""

FILES = {
    "models/base.sql": "select 1 as id",
    "models/staged.sql": "{{ config(schema='staging') }}\nselect id from {{ ref('base') }}",
    "models/marts/mart.sql": "{{ config(materialized='table') }}\nselect id from {{ ref('staged') }}",
    "models/landing.sql": "{{ config(schema='exact_landing', materialized='table') }}\nselect 2 as id",
    "models/aliased.sql": "{{ config(alias='renamed', materialized='table') }}\nselect 3 as id",
    "models/uses_alias.sql": "select id + 1 as id from {{ ref('aliased') }}",
    # quoted with the warehouse's quote character: {q(...)} is filled in per warehouse
    "models/CamelCase.sql": ('{{{{ config(materialized="table") }}}}\n'
                             'select 4 as {MixedCol}, 5 as {select}, 6 as {two words}'),
    "models/uses_camel.sql": 'select {MixedCol}, {select}, {two words} from {{{{ ref("CamelCase") }}}}',
    # schema names starting with exact_ are used verbatim (minus the prefix); others keep dbt's default
    "macros/generate_schema_name.sql": """
        {% macro generate_schema_name(custom_schema_name, node) -%}
          {%- if custom_schema_name is none -%}{{ target.schema }}
          {%- elif custom_schema_name.startswith('exact_') -%}{{ custom_schema_name[6:] }}
          {%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}
          {%- endif -%}
        {%- endmacro %}
        """,
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    quoted = {name: warehouse.quote(name) for name in ("MixedCol", "select", "two words")}
    files = {path: text.format_map(quoted) if "camel" in path.lower() else text for path, text in FILES.items()}
    project = Project(tmp_path_factory.mktemp("schemas"), warehouse, files, project_yml=PROJECT_YML)
    run = project.run("run")
    return SimpleNamespace(project=project, run=run)


def test_statuses(state: SimpleNamespace) -> None:
    names = ("base", "staged", "mart", "landing", "aliased", "uses_alias", "CamelCase", "uses_camel")
    assert state.run.statuses() == {model(n): "success" for n in names}


def test_custom_schemas(state: SimpleNamespace) -> None:
    p = state.project
    assert p.relations(f"{p.schema}_staging") == {"staged": "view"}
    assert p.relations(f"{p.schema}_marts") == {"mart": "table"}
    assert p.relations("landing") == {"landing": "table"}
    assert p.rows("mart", schema=f"{p.schema}_marts") == [(1,)]
    assert p.rows("landing", schema="landing") == [(2,)]


def test_alias(state: SimpleNamespace) -> None:
    p = state.project
    relations = p.relations()
    assert "renamed" in relations and "aliased" not in relations
    assert p.rows("renamed") == [(3,)]
    assert p.rows("uses_alias") == [(4,)]
    assert state.run.results[model("aliased")]["relation_name"].endswith(p.warehouse.rendered("renamed"))


def test_quoted_identifiers(state: SimpleNamespace) -> None:
    p = state.project
    assert p.relations()[p.warehouse.stored_name("CamelCase")] == "table"
    assert list(p.columns("uses_camel")) == ["MixedCol", "select", "two words"]
    assert p.rows("uses_camel") == [(4, 5, 6)]


def test_target_schema_holds_only_its_models(state: SimpleNamespace) -> None:
    stored = state.project.warehouse.stored_name
    assert set(state.project.relations()) == {"base", "renamed", "uses_alias", stored("CamelCase"), "uses_camel"}
