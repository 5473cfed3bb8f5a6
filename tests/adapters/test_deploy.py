"""Scenario: blue/green deploys on every warehouse. The first deploy builds everything into an environment
and promotes it; a change to one model rebuilds it and what is downstream, nothing else; a failing test or
model stops the deploy with production untouched; rollback restores the production a deploy replaced."""

from __future__ import annotations

import json

import pytest

from .conftest import Project, Warehouse

FILES = {
    "seeds/raw.csv": "id,amount\n1,10\n2,20\n3,30\n",
    "models/base.sql": "{{ config(materialized='table') }}\nselect id, amount from {{ ref('raw') }}",
    "models/doubled.sql": "{{ config(materialized='view') }}\nselect id, amount * 2 as doubled from {{ ref('base') }}",
    "models/total.sql": "{{ config(materialized='table') }}\nselect sum(doubled) as total from {{ ref('doubled') }}",
    "models/other.sql": "{{ config(materialized='table') }}\nselect 1 as one",
    # a seed read as a source (as examples/jaffle_shop does): the environment reads its own seed
    "models/from_source.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ source('landing', 'raw') }}",
    "models/schema.yml": """
        sources:
          - name: landing
            schema: "{{ target.schema }}"
            tables: [{name: raw}]
        models:
          - name: total
            columns:
              - name: total
                data_tests: [not_null]
        """,
}


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("deploy"), warehouse, FILES)


def _built(project: Project) -> list[str]:
    results = json.loads((project.root / "target" / "run_results.json").read_text())["results"]
    return sorted(r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith(("model.", "seed.")))


def test_deploy_change_fail_and_rollback(project: Project) -> None:
    first = project.run("deploy")
    assert "Promoted environment" in first.stdout
    assert _built(project) == ["base", "doubled", "from_source", "other", "raw", "total"]
    assert project.rows("total") == [(120,)] and project.rows("from_source") == [(3,)]
    assert project.rows("doubled") == [(1, 20), (2, 40), (3, 60)]

    again = project.run("deploy")
    assert "Nothing to deploy" in again.stdout

    # one model changes: it and what reads it are built, nothing else
    project.write({"models/doubled.sql": "{{ config(materialized='view') }}\n"
                                         "select id, amount * 3 as doubled from {{ ref('base') }}"})
    second = project.run("deploy")
    assert "Promoted environment" in second.stdout and _built(project) == ["doubled", "total"]
    assert project.rows("total") == [(180,)]
    assert project.rows("base") == [(1, 10), (2, 20), (3, 30)]

    # a failing test stops the promotion: production keeps 180
    project.write({"models/doubled.sql": "{{ config(materialized='view') }}\n"
                                         "select id, cast(null as integer) as doubled from {{ ref('base') }}"})
    failed = project.run("deploy", expect=1)
    assert "stopped before promotion" in failed.stdout and "not_null_total_total" in failed.stdout
    assert project.rows("total") == [(180,)]
    # a failing model too
    project.write({"models/doubled.sql": "select id, amount * from {{ ref('base') }}"})
    broken = project.run("deploy", expect=1)
    assert "stopped before promotion" in broken.stdout
    assert project.rows("total") == [(180,)]

    listed = project.run("environments", "list").stdout.splitlines()
    assert [line.split()[1] for line in listed] == ["retired", "production", "failed"]

    back = project.run("rollback")
    assert "Rolled back" in back.stdout
    assert project.rows("total") == [(120,)]
    assert project.rows("doubled") == [(1, 20), (2, 40), (3, 60)]
    # the project as production had it deploys again (the first environment was rolled back to)
    project.write({"models/doubled.sql": FILES["models/doubled.sql"]})
    assert "Nothing to deploy" in project.run("deploy").stdout
    project.write({"models/doubled.sql": "{{ config(materialized='view') }}\n"
                                         "select id, amount * 3 as doubled from {{ ref('base') }}"})
    project.run("deploy")
    assert project.rows("total") == [(180,)]
    statuses = [line.split()[1] for line in project.run("environments", "list").stdout.splitlines()]
    assert statuses == ["retired", "production"]  # the failed and rolled-back environments are gone
