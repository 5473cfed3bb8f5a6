"""`mason ls`, `parse` and `compile` on the shop project give what dbt-core 1.11 gives (fixtures in expected/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import PROJECTS, run_mason

EXPECTED = PROJECTS / "shop" / "expected"
LS_CASES = json.loads((EXPECTED / "ls" / "cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", LS_CASES, ids=[c["name"] for c in LS_CASES])
def test_ls_matches_dbt(shop_project: Path, case: dict) -> None:
    result = run_mason(shop_project, "ls", "--quiet", *case["args"], env={"SHOP_DUCKDB_PATH": str(shop_project / "shop.duckdb")})
    assert result.code == 0, result.stderr
    got = result.lines
    expected = case["stdout"]
    if case["args"] and "json" in case["args"]:
        got = [json.loads(x) for x in got]
        expected = [json.loads(x) for x in expected]
    assert got == expected


_TOKEN = re.compile(r"\w+|'[^']*'|\"[^\"]*\"|\S")
COMPILED = sorted(p.relative_to(EXPECTED / "compiled") for p in (EXPECTED / "compiled").rglob("*.sql"))


@pytest.fixture(scope="module")
def compiled_dir(shop_project: Path) -> Path:
    result = run_mason(shop_project, "compile", env={"SHOP_DUCKDB_PATH": str(shop_project / "shop.duckdb")})
    assert result.code == 0, result.stderr
    return shop_project / "target" / "compiled" / "shop"


@pytest.mark.parametrize("rel", COMPILED, ids=[str(p) for p in COMPILED])
def test_compiled_sql_matches_dbt(compiled_dir: Path, rel: Path) -> None:
    """Same SQL tokens as dbt-core's compile (whitespace inside our own macros may differ)."""
    expected = _TOKEN.findall((EXPECTED / "compiled" / rel).read_text())
    got = _TOKEN.findall((compiled_dir / rel).read_text())
    assert got == expected


_NODE_FIELDS = ("unique_id", "resource_type", "name", "fqn", "package_name", "path", "original_file_path",
                "database", "schema", "alias", "relation_name", "checksum", "tags", "description", "group",
                "test_metadata", "column_name", "attached_node", "file_key_name", "refs", "sources", "depends_on")
_CONFIG_FIELDS = ("enabled", "materialized", "schema", "alias", "tags", "meta", "severity", "unique_key",
                  "on_schema_change", "docs", "access", "group", "where", "limit", "strategy", "check_cols",
                  "updated_at", "pre-hook", "post-hook", "column_types")


@pytest.fixture(scope="module")
def manifest(compiled_dir: Path) -> dict:
    return json.loads((compiled_dir.parent.parent / "manifest.json").read_text())


def test_manifest_has_every_dbt_node(manifest: dict) -> None:
    summary = json.loads((EXPECTED / "manifest_summary.json").read_text())
    for section in ("nodes", "sources", "exposures", "metrics", "semantic_models", "saved_queries", "unit_tests",
                    "groups"):
        assert sorted(manifest[section]) == sorted(summary[section]), section


MANIFEST_NODES = sorted(json.loads((EXPECTED / "manifest_summary.json").read_text())["nodes"])


@pytest.mark.parametrize("uid", MANIFEST_NODES)
def test_manifest_node_matches_dbt(manifest: dict, uid: str) -> None:
    expected = json.loads((EXPECTED / "manifest_summary.json").read_text())["nodes"][uid]
    got = manifest["nodes"][uid]
    for field in _NODE_FIELDS:
        if field in expected:
            assert got.get(field) == expected[field], field
    for key in _CONFIG_FIELDS:
        if key in expected["config"]:
            assert got["config"].get(key) == expected["config"][key], f"config.{key}"


def test_manifest_maps_match_dbt(manifest: dict) -> None:
    summary = json.loads((EXPECTED / "manifest_summary.json").read_text())
    for key in ("parent_map", "child_map"):
        for uid, items in summary[key].items():
            assert sorted(manifest[key].get(uid, [])) == sorted(items), f"{key}[{uid}]"


def test_manifest_validates_against_schema_v12(manifest: dict) -> None:
    from dbt_artifacts_parser.parser import parse_manifest

    parsed = parse_manifest(manifest)
    assert parsed.metadata.project_name == "shop"
