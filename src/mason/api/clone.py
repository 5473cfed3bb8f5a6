"""`mason clone --state DIR [-s ...]`: each selected model, seed and snapshot that the state built gets a
relation in this target pointing at the state's, without rebuilding it: a zero-copy clone where the warehouse
has one for that relation (the adapter's optional `clone_sql`, e.g. Spark's shallow clone of a delta table),
else a view `select * from <state relation>`. A relation this target already has is left alone (No-op)
unless --full-refresh. As dbt's clone: every node independently, results in run_results.json.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from mason import api
from mason.artifacts.run_results import NodeResult
from mason.errors import MasonError, UsageError

CLONE_TYPES = ("model", "seed", "snapshot")


def clone(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.building import BuildContext
    from mason.adapters.factory import open_adapter
    from mason.api.run import _args_dict, _open_log, _summary, make_sink
    from mason.artifacts import rebuilt
    from mason.artifacts.run_results import write_run_results
    from mason.artifacts.writer import register_secrets
    from mason.compile.compiler import Compiler
    from mason.execute.materializations import MATERIALIZATIONS

    start = time.perf_counter()
    state = api.state_of(session, opts)
    if state is None:
        raise UsageError("clone needs the artifacts of the run to clone from",
                         hint="pass --state DIR (a folder with production's manifest.json)")
    parsed = api.parse(session)
    register_secrets(parsed.loaded.target.secrets)
    log_file = _open_log(session, parsed)
    sink = make_sink(session, log_file)
    ids = api.selected(parsed, session, opts, CLONE_TYPES)
    nodes = parsed.manifest.nodes
    todo = sorted(uid for uid in ids if uid in nodes and nodes[uid].resource_type in CLONE_TYPES
                  and not nodes[uid].is_ephemeral and not nodes[uid].is_external)
    target = parsed.loaded.target
    threads = max(1, int(session.flags.threads or target.threads or 1))
    sink.info(f"Concurrency: {threads} threads (target='{target.target_name}')")
    sink.info("")
    adapter = open_adapter(target, session, parsed.loaded.project.quoting)
    results: list[NodeResult] = []
    full_refresh = bool(session.flags.full_refresh or opts.get("full_refresh"))
    try:
        compiler = Compiler(session, parsed, adapter)
        for database, schema in sorted({(nodes[u].database, nodes[u].schema or "") for u in todo},
                                       key=lambda x: (x[0] or "", x[1])):
            if not adapter.list_relations(database, schema):
                adapter.create_schema(database, schema)
            adapter.cache.schema_created(database, schema)

        def one(uid: str) -> NodeResult:
            node = nodes[uid]
            began = time.perf_counter()
            here = compiler.relation(node)
            found = state.relation_of(uid)

            def result(status: str, message: str, response: dict[str, Any] | None = None) -> NodeResult:
                return NodeResult(uid, status, message, None, time.perf_counter() - began, "Thread-1",
                                  response or {}, [], None, here.render())

            if found is None:
                sink.info(f"{node.resource_type} {node.name} is not in the state: nothing to clone")
                return result("success", "No-op")
            if adapter.get_relation(here.database, here.schema, here.identifier) is not None and not full_refresh:
                sink.info(f"Relation {here.render()} already exists")
                return result("success", "No-op")
            config = state.built_as(uid)
            source = compiler.factory.make_relation(*found, "view" if config.get("materialized") == "view"
                                                    else "table")
            try:
                clone_sql = getattr(adapter, "clone_sql", None)
                statement = clone_sql(here, source, config) if clone_sql is not None else None
                if statement is not None:
                    if full_refresh:
                        existing = adapter.get_relation(here.database, here.schema, here.identifier)
                        if existing is not None:
                            adapter.drop_relation(existing)
                    response, _ = adapter.execute(statement)
                    adapter.cache.add(here)
                    message, how = "CLONE", "cloned"
                else:
                    view = replace(node, config={**node.config, "materialized": "view"})
                    ctx = BuildContext(adapter, view, f"select * from {source.render()}", replace(here, type="view"),
                                       full_refresh, lambda which, inside: None, lambda statement: None)
                    MATERIALIZATIONS["view"](ctx)
                    message, how = "OK", "view of"
            except MasonError as exc:
                sink.error(f"Error cloning {node.resource_type} {here.render()}: {exc.render()}")
                return result("error", exc.render())
            sink.info(f"OK {how} {source.render()} as {here.render()}")
            return result("success", message, {"_message": message})

        if threads == 1:
            results = [one(uid) for uid in todo]
        else:
            with ThreadPoolExecutor(threads) as pool:
                results = list(pool.map(one, todo))
        code = _summary(sink, results, time.perf_counter() - start, parsed.manifest)
    finally:
        adapter.close()
        write_run_results(parsed.loaded.target_dir / "run_results.json", results, time.perf_counter() - start,
                          session.invocation_id, session.started_at, dict(session.env),
                          _args_dict(session, opts, "clone"))
        rebuilt.record(parsed.loaded.target_dir, session.invocation_id, ((r.unique_id, r.status) for r in results
                                                                         if r.message != "No-op"))
        api.write_artifacts(session, parsed)
        if log_file is not None:
            log_file.close()
    return code
