"""Model governance in one project, as dbt-core 1.11 has it: access (private to a group, protected to a package
under `restrict-access`), groups and their owners, versions (which file is which version, deprecation)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import PROFILE, Result, run_mason

GROUPS = """groups:
  - name: finance
    owner: {name: Finance, email: finance@example.com}
  - name: marketing
    owner: {email: marketing@example.com}
"""


def make(root: Path, files: dict[str, str], project_extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(f"name: p\nversion: '1.0'\nprofile: p\n{project_extra}")
    (root / "profiles.yml").write_text(PROFILE.format(db=root / "p.duckdb"))
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def parse(root: Path, expect: int = 0) -> Result:
    result = run_mason(root, "parse")
    assert result.code == expect, result.stdout + result.stderr
    return result


def nodes(root: Path) -> dict[str, dict]:
    return json.loads((root / "target" / "manifest.json").read_text())["nodes"]


def test_private_models_only_from_their_group(tmp_path: Path) -> None:
    files = {
        "models/priv.sql": "select 1 as id",
        "models/same_group.sql": "select * from {{ ref('priv') }}",
        "models/other_group.sql": "select * from {{ ref('priv') }}",
        "models/schema.yml": GROUPS + """models:
  - name: priv
    access: private
    group: finance
    columns:
      - name: id
        data_tests: [unique]
  - name: same_group
    group: finance
  - name: other_group
    group: marketing
""",
    }
    root = make(tmp_path / "p", files)
    err = parse(root, 1).stderr
    assert "models/other_group.sql:1: model.p.other_group refers to model.p.priv (models/priv.sql, properties in " \
           "models/schema.yml), which is private to group 'finance'; model.p.other_group is in group 'marketing'" in err
    assert "same_group" not in err and "unique_priv_id" not in err  # its group, and its own tests: allowed
    (root / "models" / "other_group.sql").write_text("select 1 as id")
    parse(root)
    # an exposure has no group; a test takes the group of the model it is attached to
    (root / "models" / "more.yml").write_text("""exposures:
  - name: dash
    type: dashboard
    owner: {email: a@example.com}
    depends_on: [ref('priv')]
models:
  - name: other_group
    columns:
      - name: id
        data_tests:
          - relationships:
              arguments: {to: ref('priv'), field: id}
""")
    (root / "models" / "schema.yml").write_text((root / "models" / "schema.yml").read_text().replace(
        "  - name: other_group\n    group: marketing\n", ""))
    err = parse(root, 1).stderr
    assert "exposure.p.dash refers to model.p.priv" in err and "exposure.p.dash is in no group" in err
    assert "test.p.relationships_other_group_id__id__ref_priv_" in err


def test_protected_models_of_a_package_that_restricts_access(tmp_path: Path) -> None:
    files = {
        "packages.yml": "packages:\n  - local: lib\n",
        "lib/dbt_project.yml": "name: lib\nversion: '1.0'\nrestrict-access: true\n",
        "lib/models/lib_protected.sql": "select 1 as id",
        "lib/models/lib_public.sql": "select 1 as id",
        "lib/models/schema.yml": "models:\n  - name: lib_public\n    access: public\n",
        "models/uses_public.sql": "select * from {{ ref('lib_public') }}",
        "models/uses_protected.sql": "select * from {{ ref('lib', 'lib_protected') }}",
    }
    root = make(tmp_path / "p", files)
    assert run_mason(root, "deps").code == 0
    err = parse(root, 1).stderr
    assert "models/uses_protected.sql:1: model.p.uses_protected refers to model.lib.lib_protected (package lib: " \
           "models/lib_protected.sql), which is protected to package 'lib' (its dbt_project.yml has " \
           "restrict-access: true)" in err
    assert "uses_public" not in err
    (root / "lib" / "dbt_project.yml").write_text("name: lib\nversion: '1.0'\n")
    assert run_mason(root, "deps").code == 0
    parse(root)  # without restrict-access, protected models are visible to other packages (dbt's default)


@pytest.mark.parametrize(("yml", "message"), [
    ("models:\n  - name: m\n    access: privat\n",
     "model.p.m: access must be private, protected or public, not 'privat'"),
    (GROUPS + "models:\n  - name: m\n    group: financ\n",
     "model.p.m is in group 'financ', which is not defined (groups: finance, marketing)"),
    ("groups:\n  - name: finance\n    owner: {}\nmodels:\n  - name: m\n    group: finance\n",
     "group 'finance' needs an owner with a name or an email"),
    ("groups:\n  - name: finance\n", "group 'finance' needs an owner with a name or an email"),
])
def test_access_values_groups_and_owners_are_checked(tmp_path: Path, yml: str, message: str) -> None:
    root = make(tmp_path / "p", {"models/m.sql": "select 1 as id", "models/schema.yml": yml})
    assert message in parse(root, 1).stderr


def test_access_from_dbt_project_yml(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {"models/marts/m.sql": "select 1 as id", "models/staging/s.sql": "select 1 as id"},
                "models:\n  p:\n    marts:\n      +access: public\n")
    parse(root)
    got = nodes(root)
    assert (got["model.p.m"]["access"], got["model.p.s"]["access"]) == ("public", "protected")
    assert got["model.p.m"]["config"]["access"] == "public"


VERSIONED = """models:
  - name: dim
    latest_version: 2
    deprecation_date: 2020-01-01
    versions:
      - v: 1
        deprecation_date: 2021-03-04
      - v: 2
"""


def test_the_unversioned_file_is_the_latest_version_in_full_and_partial_parse(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {
        "models/dim.sql": "select 2 as id",
        "models/dim_v1.sql": "select 1 as id",
        "models/uses.sql": "select * from {{ ref('dim') }}",
        "models/pinned.sql": "select * from {{ ref('dim', v=1) }}",
        "models/schema.yml": VERSIONED,
    })
    result = parse(root)
    got = nodes(root)
    v2, v1 = got["model.p.dim.v2"], got["model.p.dim.v1"]
    assert (v2["original_file_path"], v2["alias"], v2["version"], v2["latest_version"]) == ("models/dim.sql",
                                                                                          "dim_v2", 2, 2)
    assert "model.p.dim" not in got
    # a version's own deprecation_date, as dbt writes it; the model-level one is not given to versions
    assert (v1["deprecation_date"], v2["deprecation_date"]) == ("2021-03-04T00:00:00+00:00", None)
    assert got["model.p.uses"]["depends_on"]["nodes"] == ["model.p.dim.v2"]
    assert "model dim.v1 (model.p.dim.v1) passed its deprecation date of 2021-03-04T00:00:00+00:00" in result.stderr
    assert "models/pinned.sql:1: model.p.pinned refers to dim.v1 (model.p.dim.v1), which was deprecated on " \
           "2021-03-04T00:00:00+00:00; a newer version of 'dim' is available, migrate now: " \
           "{{ ref('p', 'dim', v='2') }}" in result.stderr
    time.sleep(0.01)
    (root / "models" / "dim.sql").write_text("select 3 as id")
    partial = parse(root)
    assert "passed its deprecation date" not in partial.stderr  # only the edited file was parsed again
    got = nodes(root)
    assert got["model.p.dim.v2"]["raw_code"] == "select 3 as id" and "model.p.dim" not in got
    (root / "models" / "dim_v2.sql").write_text("select 4 as id")  # now v2 has its own file: dim.sql is another
    err = parse(root, 1).stderr
    assert "models/dim.sql: versioned and unversioned models are both named 'dim': models/dim.sql and the " \
           "versions of dim (dim_v1.sql, dim_v2.sql)" in err


def test_upcoming_deprecation_and_tests_of_a_deprecated_version(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {
        "models/dim_v1.sql": "select 1 as id",
        "models/dim_v2.sql": "select 2 as id",
        "models/pinned.sql": "select * from {{ ref('dim', v=1) }}",
        "models/schema.yml": """models:
  - name: dim
    columns:
      - name: id
        data_tests: [unique]
    versions:
      - v: 1
        deprecation_date: 2999-01-01
      - v: 2
""",
    })
    err = parse(root).stderr
    assert "model.p.pinned refers to dim.v1 (model.p.dim.v1), which is slated for deprecation on " \
           "2999-01-01T00:00:00+00:00; a newer version of 'dim' is available, try it out" in err
    assert "unique_dim_v1_id" not in err  # as dbt: tests of a version do not warn
