"""Partial parsing: an unchanged project is not re-parsed; an edited model is; anything else re-parses all."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_mason
from .test_failures import make_project


def _manifest(root: Path) -> dict:
    return json.loads((root / "target" / "manifest.json").read_text())


def test_unchanged_edited_and_yaml_changes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/b.sql": "select * from {{ ref('a') }}",
        "models/c.sql": "select '{{ env_var(\"COLOR\", \"blue\") }}' as color",
        "models/schema.yml": "version: 2\nmodels:\n  - name: a\n    description: first\n",
    })
    assert run_mason(root, "parse").code == 0
    res = run_mason(root, "parse")
    assert res.code == 0 and "Nothing changed" in res.stdout

    # an edited model is re-parsed alone, and its new ref is bound
    (root / "models" / "c.sql").write_text("select * from {{ ref('b') }}")
    assert run_mason(root, "parse").code == 0
    manifest = _manifest(root)
    assert manifest["nodes"]["model.p.c"]["depends_on"]["nodes"] == ["model.p.b"]
    assert manifest["child_map"]["model.p.b"] == ["model.p.c"]
    assert manifest["nodes"]["model.p.a"]["description"] == "first"

    # a YAML change means a full parse
    (root / "models" / "schema.yml").write_text("version: 2\nmodels:\n  - name: a\n    description: second\n")
    assert run_mason(root, "parse").code == 0
    assert _manifest(root)["nodes"]["model.p.a"]["description"] == "second"

    # a new file means a full parse
    (root / "models" / "d.sql").write_text("select * from {{ ref('c') }}")
    assert run_mason(root, "parse").code == 0
    assert "model.p.d" in _manifest(root)["nodes"]

    # a bad edit is still reported with its file and line
    (root / "models" / "d.sql").write_text("select * from {{ ref('nope') }}")
    res = run_mason(root, "parse")
    assert res.code == 1 and "models/d.sql" in res.stderr


def test_env_var_change_invalidates(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "{{ config(materialized=env_var('MAT', 'view')) }}\nselect 1 as id",
    })
    assert run_mason(root, "parse").code == 0
    assert _manifest(root)["nodes"]["model.p.a"]["config"]["materialized"] == "view"
    assert run_mason(root, "parse", env={"MAT": "table"}).code == 0
    assert _manifest(root)["nodes"]["model.p.a"]["config"]["materialized"] == "table"


def test_vars_and_target_change_invalidate(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {"models/a.sql": "select {{ var('n', 1) }} as id"})
    assert run_mason(root, "compile").code == 0
    assert run_mason(root, "compile", "--vars", "{n: 7}").code == 0
    assert "select 7 as id" in (root / "target" / "compiled" / "p" / "models" / "a.sql").read_text()


def _without_times(manifest: dict) -> dict:
    manifest = dict(manifest)
    manifest.pop("metadata")
    for section in ("nodes", "sources"):
        manifest[section] = {uid: {k: v for k, v in entry.items() if k != "created_at"}
                             for uid, entry in manifest[section].items()}
    return manifest


def test_patched_manifest_equals_a_full_parse(tmp_path: Path) -> None:
    """After a partial re-parse, manifest.json is patched (only the edited nodes re-serialized); it must
    be exactly what a full parse writes."""
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/b.sql": "{{ config(materialized='table', tags=['x']) }}\nselect * from {{ ref('a') }}",
        "models/c.sql": "select 2 as id",
        "models/schema.yml": "version: 2\ngroups:\n  - name: core\n    owner: {name: me}\nmodels:\n"
                             "  - name: b\n    columns:\n      - name: id\n        data_tests: [unique]\n"
                             "  - name: c\n    config: {group: core}\n    columns:\n      - name: id\n"
                             "        data_tests: [not_null]\n",
    })
    assert run_mason(root, "parse").code == 0
    (root / "models" / "c.sql").write_text("select 3 as id")
    assert run_mason(root, "parse").code == 0  # a first patch, then a second one over it
    (root / "models" / "b.sql").write_text("{{ config(materialized='view', tags=['y']) }}\n"
                                           "select * from {{ ref('a') }} union all select * from {{ ref('c') }}")
    assert run_mason(root, "parse").code == 0
    patched = _manifest(root)
    assert "model.p.c" in patched["group_map"]["core"]
    assert patched["nodes"]["model.p.b"]["config"]["materialized"] == "view"
    assert patched["nodes"]["model.p.b"]["depends_on"]["nodes"] == ["model.p.a", "model.p.c"]
    assert run_mason(root, "parse", "--no-partial-parse").code == 0
    assert _without_times(patched) == _without_times(_manifest(root))


def test_ls_on_an_unchanged_project_reads_the_selection_index(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/b.sql": "{{ config(tags=['t']) }}select * from {{ ref('a') }}",
        "models/schema.yml": "version: 2\nmodels:\n  - name: b\n    columns:\n      - name: id\n"
                             "        data_tests: [unique]\n",
    })
    assert run_mason(root, "parse").code == 0
    full = run_mason(root, "ls", "-s", "a+", "--no-partial-parse").stdout
    assert "p.b" in full and "unique_b_id" in full
    # without the full cache, only the slim index (written with it) can answer: same lines
    (root / "target" / "partial_parse.mason").unlink()
    res = run_mason(root, "ls", "-s", "a+")
    assert res.code == 0 and res.stdout == full
    assert run_mason(root, "ls", "-s", "tag:t", "--output", "name").stdout.split() == ["b", "unique_b_id"]
    # a change means a real parse (the index is stale)
    (root / "models" / "c.sql").write_text("select * from {{ ref('b') }}")
    assert "p.c" in run_mason(root, "ls", "-s", "a+").stdout


def test_an_edit_that_closes_a_cycle_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/b.sql": "select * from {{ ref('a') }}",
        "models/c.sql": "select * from {{ ref('b') }}",
    })
    assert run_mason(root, "parse").code == 0
    (root / "models" / "a.sql").write_text("select * from {{ ref('c') }}")
    res = run_mason(root, "parse")
    assert res.code == 1 and "cycle" in res.stderr and "model.p.a" in res.stderr


def test_edit_after_manifest_json_was_removed_writes_it_whole(tmp_path: Path) -> None:
    """The edit path reads slim nodes; without a manifest.json to patch it must still write a full one."""
    root = make_project(tmp_path / "p", {
        "models/a.sql": "select 1 as id",
        "models/b.sql": "select * from {{ ref('a') }}",
    })
    assert run_mason(root, "parse").code == 0
    (root / "target" / "manifest.json").unlink()
    (root / "models" / "b.sql").write_text("select 2 as id")
    assert run_mason(root, "parse").code == 0
    manifest = _manifest(root)
    assert set(manifest["nodes"]) == {"model.p.a", "model.p.b"}
    assert manifest["nodes"]["model.p.a"]["raw_code"] == "select 1 as id"
    assert manifest["nodes"]["model.p.b"]["depends_on"]["nodes"] == []
    # and the cache the background writer patched serves the next command
    res = run_mason(root, "ls", "-s", "a+")
    assert res.code == 0 and res.stdout.split() == ["p.a"]
