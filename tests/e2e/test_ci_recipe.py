"""docs/ci.md's slim-CI recipe, run as written: examples/jaffle_shop is built as production (its `prod`
target) into a DuckDB file, production's manifest is kept, a mart model gains a column, and the commands
between the `slim-ci commands` markers of the pull-request workflow run in the `ci` target."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import duckdb

from .conftest import run_mason

ROOT = Path(__file__).resolve().parents[2]


def recipe_commands() -> list[list[str]]:
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("# slim-ci commands", 1)[1].split("# end of slim-ci commands", 1)[0]
    commands = [shlex.split(m) for m in re.findall(r"^\s*- run: (mason .+)$", block, flags=re.MULTILINE)]
    assert [c[:2] for c in commands] == [["mason", "build"], ["mason", "diff"]]
    return commands


def test_the_documented_recipe(tmp_path: Path) -> None:
    project = tmp_path / "jaffle_shop"
    shutil.copytree(ROOT / "examples" / "jaffle_shop", project,
                    ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", ".mason", "dbt_packages"))
    env = {"SHOP_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), "MASON_CI_SCHEMA": "pr_42"}
    prod = run_mason(project, "build", "--target", "prod", env=env)
    assert prod.code == 0, prod.stdout[-3000:] + prod.stderr
    (project / "prod-state").mkdir()
    shutil.copy(project / "target" / "manifest.json", project / "prod-state" / "manifest.json")
    orders = project / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text().replace(
        "coalesce(order_payments.total_amount, 0) as amount",
        "coalesce(order_payments.total_amount, 0) as amount,\n    orders.order_date as ordered_on"))

    build, diff = recipe_commands()
    built = run_mason(project, *build[1:], env=env)
    assert built.code == 0, built.stdout[-3000:] + built.stderr
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"] for r in results}
    assert "model.shop.orders" in ran
    assert not [r for r in results if r["status"] in ("error", "fail", "skipped", "runtime error")]
    assert not any(uid.startswith(("model.shop.stg_", "seed.")) for uid in ran)  # read from production
    ci_orders = next(r["relation_name"] for r in results if r["unique_id"] == "model.shop.orders")
    prod_orders = json.loads((project / "prod-state" / "manifest.json").read_text())["nodes"][
        "model.shop.orders"]["relation_name"]
    assert "pr_42" in ci_orders and "pr_42" not in prod_orders
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        ci = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                        "where table_schema like 'pr_42%'").fetchall()}
        assert "orders" in ci and not any(name.startswith(("stg_", "raw_")) for name in ci)
        assert con.execute(f"select count(*), count(ordered_on) from {ci_orders}").fetchone() == (
            *con.execute(f"select count(*) from {prod_orders}").fetchone(),) * 2

    compared = run_mason(project, *diff[1:], env=env)
    assert compared.code == 1, compared.stdout + compared.stderr  # --fail-on schema: a column was added
    report = json.loads(compared.stdout)
    assert json.dumps(report).count('"ordered_on"') >= 1
    assert "model.shop.orders" in json.dumps(report)
