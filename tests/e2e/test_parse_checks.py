"""Bad input that dbt rejects at parse is rejected at parse here too, naming the file, the line and the fix
(and nothing is built: every case below exits before a node runs)."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_mason
from .test_failures import make_project


def _fails(root: Path, *args: str) -> str:
    res = run_mason(root, *args)
    assert res.code != 0, res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    assert not (root / "p.duckdb").exists() or args[0] == "parse"  # nothing was built
    return res.stdout + res.stderr


def test_seed_that_is_not_utf8_names_file_line_and_byte(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/m.sql": "select 1 as id"})
    (root / "seeds").mkdir()
    (root / "seeds" / "bad.csv").write_bytes(b"a,b\n1,\xff\xfe\n")
    out = _fails(root, "parse")
    assert "seeds/bad.csv:2: not valid UTF-8: byte 0xff at offset 6 (column 3)" in out
    assert "save the file as UTF-8" in out


def test_config_version_1_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/m.sql": "select 1 as id"})
    (root / "dbt_project.yml").write_text("name: p\nversion: '1.0'\nconfig-version: 1\nprofile: p\n")
    out = _fails(root, "build")
    assert "dbt_project.yml:3: config-version: 1 is not supported" in out and "config-version: 2" in out


def test_missing_local_package_fails_with_the_path_and_deps_hint(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/m.sql": "select 1 as id",
                                         "packages.yml": "packages:\n  - local: ../no_such_pkg\n"})
    out = _fails(root, "build")
    assert "packages.yml:1: 1 package listed here but 0 are installed in dbt_packages/" in out
    assert "local: ../no_such_pkg does not exist" in out and "mason deps" in out


def test_bad_materializations_are_caught_at_parse(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/a.sql": "select 1 as id",
                                         "models/m.sql": "{{ config(materialized=3) }}\nselect 1 as id"})
    out = _fails(root, "build")
    assert "models/m.sql:1: model.p.m: materialized must be a string, not 3" in out
    (root / "models" / "m.sql").write_text("select 1 as id")
    (root / "dbt_project.yml").write_text("name: p\nversion: '1.0'\nconfig-version: 2\nprofile: p\n"
                                          "models:\n  p:\n    +materialized: tabel\n")
    out = _fails(root, "build")
    assert "materialized 'tabel' is not a materialization here (did you mean 'table'?" in out
    # a materialization the project defines is known
    (root / "macros").mkdir()
    (root / "macros" / "mat.sql").write_text(
        "{% materialization tabel, default %}{% call statement('main') %}select 1{% endcall %}"
        "{{ return({'relations': []}) }}{% endmaterialization %}")
    assert run_mason(root, "parse").code == 0


def test_generic_tests_missing_required_arguments(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/m.sql": "select 1 as id",
        "models/s.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n"
                        "          - accepted_values\n          - relationships:\n              arguments:\n"
                        "                to: ref('m')\n",
    })
    out = _fails(root, "build")
    assert "models/s.yml:7: test 'accepted_values' needs the argument 'values'" in out
    assert "models/s.yml:8: test 'relationships' needs the argument 'field'" in out
    # a test of the project's own (or a package's) may be written to run without an argument: dbt renders
    # the missing one as empty, and so does Mason
    (root / "macros").mkdir()
    (root / "macros" / "t.sql").write_text("{% test needs(model, column_name, x) %}"
                                           "select * from {{ model }} where false {{ x }}{% endtest %}")
    (root / "models" / "s.yml").write_text("version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n"
                                           "        data_tests: [needs]\n")
    assert run_mason(root, "build").code == 0


def test_unknown_adapter_type_names_profile_and_target(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/m.sql": "select 1 as id"})
    (root / "profiles.yml").write_text("p:\n  target: dev\n  outputs:\n    dev:\n      type: postgress\n")
    out = _fails(root, "parse")
    assert "profiles.yml:5: target 'dev' of profile 'p' has type: postgress, which Mason does not support" in out
    assert "did you mean 'postgres'?" in out and "duckdb, postgres, spark" in out
