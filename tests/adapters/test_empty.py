"""Scenario 10: --empty builds every relation with its columns and no rows read from refs or sources."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import Project, Warehouse, model

pytestmark = pytest.mark.requires("empty")

PROJECT_YML = """
    on-run-start:
      - "create schema if not exists {{ target.schema }}"
      - "create table if not exists {{ target.schema }}.raw_events as select 1 as id, 'x' as kind"
"""

FILES = {
    "models/sources.yml": """
        version: 2
        sources:
          - name: raw
            schema: "{{ target.schema }}"
            tables: [{name: raw_events}]
        """,
    "models/literal.sql": "{{ config(materialized='table') }}\nselect 1 as id, 10 as amount",
    "models/from_ref.sql": "{{ config(materialized='table') }}\nselect id, amount * 2 as doubled from {{ ref('literal') }}",
    "models/from_source.sql": "select id, kind from {{ source('raw', 'raw_events') }}",
    "models/counted.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('from_ref') }}",
    "models/inc.sql": ("{{ config(materialized='incremental', unique_key='id') }}\n"
                       "select id, kind from {{ source('raw', 'raw_events') }}"),
}


@pytest.fixture(scope="module")
def state(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = Project(tmp_path_factory.mktemp("empty"), warehouse, FILES, project_yml=PROJECT_YML)
    run = project.run("run", "--empty")
    return SimpleNamespace(project=project, run=run)


def test_statuses(state: SimpleNamespace) -> None:
    names = ("literal", "from_ref", "from_source", "counted", "inc")
    assert {u: s for u, s in state.run.statuses().items() if u.startswith("model.")} == {
        model(n): "success" for n in names}


def test_relations_exist_with_columns(state: SimpleNamespace) -> None:
    p = state.project
    assert p.relations() == {"raw_events": "table", "literal": "table", "from_ref": "table", "from_source": "view",
                             "counted": "table", "inc": "table"}
    assert p.columns("from_ref") == {"id": "integer", "doubled": "integer"}
    assert p.columns("from_source") == {"id": "integer", "kind": "text"}
    assert p.columns("inc") == {"id": "integer", "kind": "text"}


def test_refs_and_sources_read_no_rows(state: SimpleNamespace) -> None:
    p = state.project
    assert p.rows("literal") == [(1, 10)]      # no ref or source: --empty leaves the query alone
    assert p.rows("from_ref") == []
    assert p.rows("from_source") == []
    assert p.rows("inc") == []
    assert p.rows("counted") == [(0,)]         # an aggregate over an empty ref still returns one row
