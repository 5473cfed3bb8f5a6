"""The floor: a project's compiled SQL executed directly through DuckDB.

    python bench/floor.py --target-dir TARGET --db bench.duckdb

Reads TARGET/manifest.json (from ``mason compile`` or ``dbt compile``), takes
each enabled model's compiled SQL (TARGET/compiled/<package>/<path>, or the
manifest's ``compiled_code``), and runs ``create or replace view|table <relation>
as (...)`` for every model in DAG order, in one process on one connection.
Incremental models are created as tables (a first run).  No tests, no seeds:
the DuckDB file must already hold the sources and seeds.

Prints one JSON line: models executed, seconds spent in SQL, seconds in total.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


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
        sql = None
        path = target_dir / "compiled" / n["package_name"] / n["original_file_path"]
        if path.is_file():
            sql = path.read_text()
        elif n.get("compiled_code"):
            sql = n["compiled_code"]
        if sql is None:
            raise SystemExit(f"floor: no compiled SQL for {uid} (looked in {path})")
        relation = n.get("relation_name")
        if not relation:
            relation = ".".join(f'"{p}"' for p in (n["database"], n["schema"], n.get("alias") or n["name"]))
        plan.append((uid, relation, mat, sql))
    return plan


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target-dir", type=Path, required=True)
    ap.add_argument("--db", required=True)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    import duckdb

    plan = load_plan(args.target_dir)
    con = duckdb.connect(args.db)
    schemas = {rel.rsplit(".", 1)[0] for _, rel, _, _ in plan}
    t1 = time.perf_counter()
    for s in sorted(schemas):
        con.execute(f"create schema if not exists {s}")
    for _uid, relation, mat, sql in plan:
        kind = "view" if mat == "view" else "table"
        body = sql.rstrip().rstrip(";")
        con.execute(f"create or replace {kind} {relation} as (\n{body}\n)")
    con.close()
    t2 = time.perf_counter()
    print(json.dumps({"models": len(plan), "sql_s": round(t2 - t1, 4), "total_s": round(t2 - t0, 4)}))


if __name__ == "__main__":
    main()
