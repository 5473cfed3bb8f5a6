"""Scenario: slim CI on every warehouse. Production builds the project into its schema; a pull request's
target (another schema of the same warehouse) builds only `state:modified+` with `--defer`, reading the rest
from production, then `mason clone` points the PR schema's missing relations at production's."""

from __future__ import annotations

import shutil

import pytest
import yaml

from .conftest import Project, Warehouse

FILES = {
    "seeds/raw.csv": "id,amount\n1,10\n2,20\n3,30\n",
    "models/a.sql": "{{ config(materialized='table') }}\nselect id, amount from {{ ref('raw') }}",
    "models/b.sql": "{{ config(materialized='view') }}\nselect id, amount * 2 as doubled from {{ ref('a') }}",
    "models/c.sql": "{{ config(materialized='table') }}\nselect count(*) as n, sum(doubled) as total from {{ ref('b') }}",
}


@pytest.fixture(scope="module")
def project(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("slim"), warehouse, FILES)
    profiles = yaml.safe_load((p.root / "profiles.yml").read_text())
    outputs = profiles["conformance"]["outputs"]
    outputs["ci"] = {**outputs["dev"], "schema": "pr_ci"}
    (p.root / "profiles.yml").write_text(yaml.safe_dump(profiles))
    p.run("build")
    (p.root / "prod_state").mkdir()
    shutil.copy(p.root / "target" / "manifest.json", p.root / "prod_state" / "manifest.json")
    return p


def test_build_modified_with_defer_then_clone(project: Project) -> None:
    wh = project.warehouse
    project.write({"models/c.sql": "{{ config(materialized='table') }}\n"
                                   "select count(*) as n, sum(doubled) as total, max(id) as top from {{ ref('b') }}"})
    without = project.run("build", "-t", "ci", "-s", "state:modified+", "--state", "prod_state", expect=1)
    assert without.results["model.conformance.c"]["status"] == "error"  # b is not in the PR schema
    run = project.run("build", "-t", "ci", "-s", "state:modified+", "--defer", "--state", "prod_state")
    assert sorted(run.results) == ["model.conformance.c"]
    assert set(wh.relations(project.root, "pr_ci")) == {wh.stored_name("c")}
    assert project.rows("c", schema="pr_ci") == [(3, 120, 3)]
    compiled = (project.root / "target" / "compiled" / "conformance" / "models" / "c.sql").read_text()
    assert wh.rendered("b") in compiled and "pr_ci" not in compiled

    cloned = project.run("clone", "-t", "ci", "--state", "prod_state")
    assert {uid: r["message"] for uid, r in cloned.results.items()} == {
        "model.conformance.a": "OK", "model.conformance.b": "OK", "model.conformance.c": "No-op",
        "seed.conformance.raw": "OK"}
    assert set(wh.relations(project.root, "pr_ci")) == {wh.stored_name(n) for n in ("a", "b", "c", "raw")}
    assert project.rows("a", schema="pr_ci") == project.rows("a") == [(1, 10), (2, 20), (3, 30)]
    assert project.rows("c", schema="pr_ci") == [(3, 120, 3)]  # kept: it existed
    again = project.run("clone", "-t", "ci", "--state", "prod_state", "-s", "c", "--full-refresh")
    assert again.results["model.conformance.c"]["message"] != "No-op"
    assert project.rows("c", schema="pr_ci") == project.rows("c") == [(3, 120)]  # now production's
