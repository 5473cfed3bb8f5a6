"""The floor: a project's compiled SQL executed directly through DuckDB.

    python bench/floor.py --target-dir TARGET --db bench.duckdb

Reads TARGET/manifest.json (from ``mason compile`` or ``dbt compile``), takes
each enabled model's compiled SQL (TARGET/compiled/<package>/<path>, or the
manifest's ``compiled_code``), and runs ``create or replace view|table <relation>
as (...)`` for every model in DAG order, in one process on one connection.
Incremental models are created as tables (a first run).  No seeds: the DuckDB
file must already hold the sources and seeds.

With ``--tests`` (the floor of ``build``) every enabled data test's compiled SQL
then runs too, one query per test, wrapped as dbt and Mason wrap it (count the
failing rows, compare with warn_if / error_if) and its row fetched; a test that
finds failures is counted, not an error.

With ``--postgres "host=... port=... dbname=bench ..."`` the same statements go over one psycopg connection
(autocommit) to an empty PostgreSQL database holding the sources and seeds: ``create view|table <relation>
as (...)`` (nothing to replace in a fresh database), then the tests' queries.

Prints one JSON line: models and tests executed, seconds spent in SQL, seconds in total.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def _compiled_sql(target_dir: Path, uid: str, n: dict) -> str:
    path = target_dir / "compiled" / n["package_name"] / n["original_file_path"]
    if n["original_file_path"].endswith((".yml", ".yaml")):
        path = path / n["path"]
    if path.is_file():
        return path.read_text()
    if n.get("compiled_code"):
        return str(n["compiled_code"])
    raise SystemExit(f"floor: no compiled SQL for {uid} (looked in {path})")


def load_tests(target_dir: Path) -> list[tuple[str, str]]:
    """[(unique_id, the query that counts the test's failing rows)] for every enabled data test."""
    nodes = json.loads((target_dir / "manifest.json").read_text())["nodes"]
    out = []
    for uid in sorted(nodes):
        n = nodes[uid]
        if n.get("resource_type") != "test" or not n.get("config", {}).get("enabled", True):
            continue
        cfg = n.get("config", {})
        calc = cfg.get("fail_calc") or "count(*)"
        body = _compiled_sql(target_dir, uid, n).rstrip().rstrip(";")
        if cfg.get("limit") is not None:
            body += f"\nlimit {int(cfg['limit'])}"
        out.append((uid, f"select {calc} as failures, {calc} {cfg.get('warn_if') or '!= 0'} as should_warn, "
                         f"{calc} {cfg.get('error_if') or '!= 0'} as should_error from (\n{body}\n) dbt_internal_test"))
    return out


def load_plan(target_dir: Path) -> list[tuple[str, str, str, str]]:
    """[(unique_id, relation_name, materialized, compiled_sql)] in DAG order."""
    manifest = json.loads((target_dir / "manifest.json").read_text())
    nodes = manifest["nodes"]
    models = {
        uid: n
        for uid, n in nodes.items()
        if n.get("resource_type") == "model" and n.get("config", {}).get("enabled", True)
    }
    order: list[str] = []
    state: dict[str, int] = {}
    for root in sorted(models):
        if state.get(root) == 2:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            uid, done = stack.pop()
            if done:
                state[uid] = 2
                order.append(uid)
                continue
            if state.get(uid):
                continue
            state[uid] = 1
            stack.append((uid, True))
            for dep in models[uid].get("depends_on", {}).get("nodes", []):
                if dep in models and not state.get(dep):
                    stack.append((dep, False))
    plan = []
    for uid in order:
        n = models[uid]
        mat = n.get("config", {}).get("materialized", "view")
        if mat == "ephemeral":
            continue
        sql = _compiled_sql(target_dir, uid, n)
        relation = n.get("relation_name")
        if not relation:
            relation = ".".join(f'"{p}"' for p in (n["database"], n["schema"], n.get("alias") or n["name"]))
        plan.append((uid, relation, mat, sql))
    return plan


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target-dir", type=Path, required=True)
    ap.add_argument("--db", help="the DuckDB file (its stem is the database name)")
    ap.add_argument("--postgres", metavar="CONNINFO", help="run on PostgreSQL over psycopg instead")
    ap.add_argument("--tests", action="store_true", help="then run every data test's query (the floor of build)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    plan = load_plan(args.target_dir)
    tests = load_tests(args.target_dir) if args.tests else []
    if args.postgres:
        import psycopg

        con: Any = psycopg.connect(args.postgres, autocommit=True)
        create = "create"
        schemas = {rel.split(".")[-2] for _, rel, _, _ in plan}
    else:
        import duckdb

        con = duckdb.connect(args.db)
        create = "create or replace"
        schemas = {rel.rsplit(".", 1)[0] for _, rel, _, _ in plan}
    t1 = time.perf_counter()
    for s in sorted(schemas):
        con.execute(f"create schema if not exists {s}")
    for _uid, relation, mat, sql in plan:
        kind = "view" if mat == "view" else "table"
        body = sql.rstrip().rstrip(";")
        con.execute(f"{create} {kind} {relation} as (\n{body}\n)")
    failing = 0
    for _uid, query in tests:
        row = con.execute(query).fetchone()
        failing += bool(row and row[0])
    con.close()
    t2 = time.perf_counter()
    print(json.dumps({"models": len(plan), "tests": len(tests), "tests_failing": failing,
                      "sql_s": round(t2 - t1, 4), "total_s": round(t2 - t0, 4)}))


if __name__ == "__main__":
    main()
