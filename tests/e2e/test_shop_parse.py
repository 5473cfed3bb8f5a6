"""`mason ls`, `parse` and `compile` on the shop project give what dbt-core 1.11 gives (fixtures in expected/)."""

from __future__ import annotations

import json
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
