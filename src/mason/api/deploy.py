"""`mason deploy`, `mason rollback` and `mason environments`: blue/green deploys (docs/deploy.md).

A deploy, holding the target's deploy lock:
1. compares the project with the manifest that built production (its environment's record), and picks what
   to build: the selection's changed models (and what they need that changed), and everything downstream
   of them, so production never mixes a new model with children built on the old one; the rest is reused;
2. builds those into the environment (each production schema `s` gets `s__<env id>`), with their tests;
   unchanged models are read from production;
3. checks the gate (test errors; warnings too with `--gate warnings`; SQL gates that must return no rows);
4. promotes in one transaction (mason.deploy.promote), recording what each relation replaced;
5. keeps the last `--keep` environments for rollback and drops older ones' leftovers.
A failure before step 4 leaves production as it was (the environment stays for inspection until the next
deploy); step 4 is atomic where the warehouse has transactions.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from mason import api
from mason.deploy import records as rec
from mason.deploy.promote import built_name, execute, promotion, rollback
from mason.deploy.store import Store
from mason.errors import MasonError, ProjectError, UsageError

RELATION_TYPES = ("model", "seed")
DEFAULT_SCHEMA = "mason_deploy"


class _Context:
    """The parsed project, the target's adapter, its deploy dialect and the records."""

    def __init__(self, session: Any, opts: dict[str, Any], parsed: Any = None) -> None:
        from mason.adapters.factory import open_adapter

        self.session = session
        self.parsed = parsed or api.parse(session)
        target = self.parsed.loaded.target
        self.target = target
        self.adapter = open_adapter(target, session, self.parsed.loaded.project.quoting)
        self.dialect = self.adapter.deploy_dialect()
        schema = opts.get("deploy_schema") or session.env.get("MASON_DEPLOY_SCHEMA") or DEFAULT_SCHEMA
        self.store = Store(self.adapter, self.dialect, target.database or None, schema, target.target_name)

    def close(self) -> None:
        self.adapter.close()

    def existing(self, parts: rec.Parts) -> Any:
        return self.adapter.get_relation(parts[0], str(parts[1]), parts[2])


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _changed(ctx: _Context, current: rec.Environment | None, chosen: set[str], full: bool) -> set[str]:
    """The relations to build: changed ones among the selection and its ancestors, and all their descendants."""
    from mason.graph.selector import Graph
    from mason.graph.state import State

    manifest = ctx.parsed.manifest
    graph = Graph.of(manifest)
    nodes = manifest.nodes
    scope = set(chosen) | graph.ancestors(chosen)
    buildable = {uid for uid in scope if uid in nodes and nodes[uid].resource_type in RELATION_TYPES
                 and not nodes[uid].is_ephemeral and not nodes[uid].is_external}
    if current is None or full or not current.manifest:
        changed = set(buildable)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "manifest.json").write_bytes(current.manifest_json())
            comparison = api.comparison(ctx.parsed, State(Path(tmp)))
            changed = {uid for uid in buildable if comparison.modified(uid)}
        for uid in buildable - changed:  # a production relation gone missing is built again
            node = nodes[uid]
            if ctx.existing(_parts(node)) is None:
                changed.add(uid)
    downstream = graph.descendants(changed) if changed else set()
    return {uid for uid in changed | downstream if uid in nodes and nodes[uid].resource_type in RELATION_TYPES
            and not nodes[uid].is_ephemeral and not nodes[uid].is_external}


def _staged(parsed: Any, build: set[str], env_id: str) -> Any:
    """The project with each relation to build renamed into the environment's schema, and so is each source
    that reads one of them (a seed loaded then read as a source), so the environment reads itself."""
    nodes = dict(parsed.manifest.nodes)
    moved: dict[tuple[str, str, str], str] = {}
    for uid in build:
        node = nodes[uid]
        schema = rec.env_schema(str(node.schema), env_id)
        moved[(str(node.database or "").lower(), str(node.schema or "").lower(), str(node.alias or "").lower())] = schema
        nodes[uid] = replace(node, schema=schema)
    sources = dict(parsed.manifest.sources)
    for uid, src in sources.items():
        key = (str(src.database or "").lower(), str(src.schema or "").lower(), str(src.identifier or "").lower())
        if key in moved:
            sources[uid] = replace(src, schema=moved[key])
    manifest = replace(parsed.manifest, nodes=nodes, sources=sources)
    return replace(parsed, manifest=manifest, unchanged=False, patched=None)


def _tests_of(parsed: Any, build: set[str]) -> set[str]:
    """The data and unit tests of the built relations."""
    out = set()
    for uid, node in parsed.manifest.nodes.items():
        if node.resource_type == "test" and set(node.depends_on_nodes) & build:
            out.add(uid)
    for uid, test in parsed.manifest.unit_tests.items():
        if set(test.depends_on_nodes) & build:
            out.add(uid)
    return out


def _gate(results: list[Any], gate: str) -> list[str]:
    bad = ("error", "fail", "runtime error", "skipped", "partial success") + (("warn",) if gate == "warnings" else ())
    return [f"{r.unique_id}: {r.status}" + (f" ({r.message})" if r.message else "") for r in results
            if r.status in bad]


def _sql_gates(ctx: _Context, staged: Any, paths: tuple[str, ...]) -> list[str]:
    """Each SQL gate (a file; Jinja with ref() reading the environment) must return no rows."""
    from mason.compile.compiler import Compiler

    problems = []
    compiler = Compiler(ctx.session, staged, ctx.adapter)
    for path in paths:
        file = Path(path)
        if not file.is_absolute():
            file = Path(ctx.session.project_dir) / file
        if not file.is_file():
            raise UsageError(f"--gate-sql {path}: no such file")
        sql = compiler.compile_inline(file.read_text(encoding="utf-8"))
        _, table = ctx.adapter.execute(sql, fetch=True)
        if table is not None and table.rows:
            problems.append(f"{path}: {len(table.rows)} row(s), e.g. {table.rows[0]}")
    return problems


def deploy(session: Any, opts: dict[str, Any]) -> int:
    from mason.api.run import run_command
    from mason.artifacts import rebuilt
    from mason.artifacts.run_results import NodeResult

    ctx = _Context(session, opts)
    keep = max(1, int(opts.get("keep") or 2))
    try:
        ctx.store.ensure()
        with ctx.dialect.exclusive(f"{ctx.target.target_name}:{ctx.store.schema}"):
            _cleanup_unfinished(ctx)
            current = ctx.store.production()
            chosen = api.selected(ctx.parsed, session, opts, ("model", "seed", "snapshot", "test", "unit_test"))
            build = _changed(ctx, current, chosen, bool(opts.get("full")))
            snapshots = sorted(u for u in chosen if u in ctx.parsed.manifest.nodes
                               and ctx.parsed.manifest.nodes[u].resource_type == "snapshot")
            if snapshots:
                print(f"Snapshots keep their history in place and are not deployed: {', '.join(snapshots)} "
                      "(run `mason snapshot` as usual)")
            if not build:
                print("Nothing to deploy: production already has every selected model as the project defines it.")
                return 0
            env_id = rec.new_id()
            nodes = ctx.parsed.manifest.nodes
            schemas = sorted({rec.env_schema(str(nodes[u].schema), env_id) for u in build})
            api.write_artifacts(session, ctx.parsed)
            manifest = (ctx.parsed.loaded.target_dir / "manifest.json").read_bytes()
            env = rec.Environment(env_id, rec.BUILDING, ctx.target.target_name, rec.now(), _owner(),
                                  replaced=current.env_id if current else "", schemas=tuple(schemas),
                                  manifest=rec.pack_manifest(manifest))
            ctx.store.save(env, with_manifest=True)
            relations = sum(1 for n in nodes.values() if n.resource_type in RELATION_TYPES and not n.is_ephemeral)
            print(f"Deploying {len(build)} relation(s) into environment {env_id} (reusing {relations - len(build)})")
            staged = _staged(ctx.parsed, build, env_id)
            results: list[NodeResult] = []
            run_opts = {**opts, "select": (), "exclude": (), "selector": None}
            run_command(session, run_opts, "build", only=build | _tests_of(ctx.parsed, build), parsed=staged,
                        staged=True, outcome=results)
            _pause(session, "build")
            problems = _gate(results, str(opts.get("gate") or "errors"))
            if not problems:
                problems = _sql_gates(ctx, staged, tuple(opts.get("gate_sql") or ()))
            if problems:
                note = " ".join("; ".join(problems).split())[:2000]
                ctx.store.save(env.with_status(rec.FAILED, note=note))
                print(f"Deploy {env_id} stopped before promotion: production is as it was.")
                for line in problems:
                    print(f"  {line}")
                print(f"The environment is kept for inspection (schemas {', '.join(schemas)}) until the next "
                      f"deploy, or: mason environments drop {env_id}")
                return 1
            built = [rec.Promoted(uid, _kind(staged, uid), _parts(nodes[uid]), built_name(_parts(nodes[uid]), env_id))
                     for uid in sorted(build)]
            ctx.adapter.cache.clear()
            statements, env = promotion(ctx.dialect, ctx.adapter, env, built, current, ctx.existing)
            promoted = env.with_status(rec.PRODUCTION, promoted_at=rec.now())
            statements += ctx.store.save_sql(promoted)
            if current is not None:
                statements += ctx.store.save_sql(current.with_status(rec.RETIRED))
            started = time.perf_counter()
            execute(ctx.adapter, ctx.dialect, statements, before_commit=lambda: _pause(session, "promote"))
            took = time.perf_counter() - started
            rebuilt.record(ctx.parsed.loaded.target_dir, session.invocation_id, ((u, "success") for u in build))
            print(f"Promoted environment {env_id} in {took:.3f} s: production now reads {len(build)} new "
                  "relation(s)" + (f"; `mason rollback` restores {current.env_id}" if current else ""))
            _retire(ctx, keep)
            return 0
    finally:
        ctx.close()


def _parts(node: Any) -> rec.Parts:
    return node.database, node.schema, str(node.alias)


def _pause(session: Any, where: str) -> None:
    """Fault injection for the reliability tests: MASON_DEPLOY_TEST_PAUSE=build|promote stops here a while
    (after the environment is built; inside the promotion's transaction, before its commit)."""
    if session.env.get("MASON_DEPLOY_TEST_PAUSE") == where:
        import sys

        print(f"paused at {where}", flush=True)
        sys.stdout.flush()
        time.sleep(float(session.env.get("MASON_DEPLOY_TEST_PAUSE_SECONDS") or 60))


def _kind(parsed: Any, uid: str) -> str:
    node = parsed.manifest.nodes[uid]
    return "view" if node.materialized == "view" else "table"


def _cleanup_unfinished(ctx: _Context) -> None:
    """Environments left building (a deploy killed, or failed earlier): their schemas go (production never
    read them)."""
    for env in ctx.store.all():
        if env.status in (rec.BUILDING, rec.FAILED, rec.ROLLED_BACK):
            _drop_schemas(ctx, env.schemas)
            ctx.store.drop(env)


def _drop_schemas(ctx: _Context, schemas: tuple[str, ...]) -> None:
    database = ctx.target.database or None
    for schema in schemas:
        ctx.adapter.drop_schema(database, schema)


def _retire(ctx: _Context, keep: int) -> None:
    """Keep production and the environments it can be rolled back to (`keep` in all); drop what the others
    left behind, but for relations production still reads."""
    envs = {e.env_id: e for e in ctx.store.all()}
    chain: list[rec.Environment] = []
    env = next((e for e in reversed(list(envs.values())) if e.status == rec.PRODUCTION), None)
    while env is not None and len(chain) < keep:
        chain.append(env)
        env = envs.get(env.replaced)
    kept = {e.env_id for e in chain}
    read = {str(parts[1]) for e in chain for parts in e.pointers.values()}
    read |= {str(p.previous[1][1]) for e in chain for p in e.relations if p.previous and p.previous[0] == "view"}
    for env_id, env in envs.items():
        if env_id in kept or env.status not in (rec.RETIRED, rec.PRODUCTION):
            continue
        if ctx.dialect.strategy == "move":
            _drop_schemas(ctx, env.schemas)
        else:
            for p in env.relations:  # tables set aside for this environment's rollback
                if p.previous and p.previous[0] == "aside":
                    found = ctx.existing(p.previous[1])
                    if found is not None:
                        ctx.adapter.drop_relation(found)
            _drop_schemas(ctx, tuple(s for s in env.schemas if s not in read))
            if any(s in read for s in env.schemas):
                continue  # production still reads some of its relations: the record stays
        ctx.store.drop(env)


def rollback_(session: Any, opts: dict[str, Any]) -> int:
    from mason.artifacts import rebuilt

    ctx = _Context(session, opts)
    try:
        with ctx.dialect.exclusive(f"{ctx.target.target_name}:{ctx.store.schema}"):
            current = ctx.store.production()
            if current is None:
                raise ProjectError("nothing to roll back: no deploy has been promoted on this target",
                                   hint="mason environments list shows the environments")
            previous = ctx.store.get(current.replaced) if current.replaced else None
            if current.replaced and previous is None:
                raise ProjectError(f"environment {current.replaced}, which {current.env_id} replaced, is no longer "
                                   "kept", hint="deploy with a larger --keep to keep more rollback environments")
            statements = rollback(ctx.dialect, ctx.adapter, current)
            statements += ctx.store.save_sql(current.with_status(rec.ROLLED_BACK))
            if previous is not None:
                statements += ctx.store.save_sql(previous.with_status(rec.PRODUCTION))
            execute(ctx.adapter, ctx.dialect, statements)
            rebuilt.record(ctx.parsed.loaded.target_dir, session.invocation_id,
                           ((p.unique_id, "success") for p in current.relations))
            print(f"Rolled back {current.env_id}: production is "
                  + (f"environment {previous.env_id} again" if previous else "as it was before the first deploy"))
            return 0
    finally:
        ctx.close()


def environments(session: Any, opts: dict[str, Any], action: str, names: tuple[str, ...]) -> int:
    ctx = _Context(session, opts)
    try:
        envs = ctx.store.all()
        if action == "list":
            if not envs:
                print("No environments yet: `mason deploy` makes the first.")
            for env in envs:
                print(f"{env.env_id}  {env.status:<11}  created {env.created_at}"
                      + (f"  promoted {env.promoted_at}" if env.promoted_at else "")
                      + f"  {len(env.relations)} relation(s)" + (f"  replaced {env.replaced}" if env.replaced else "")
                      + (f"  {env.note[:200]}" if env.note else ""))
            return 0
        found = {e.env_id: e for e in envs}
        for name in names:
            if name not in found:
                raise UsageError(f"no environment {name!r}", hint="mason environments list shows them")
        if action == "show":
            env = found[names[0]]
            print(f"environment {env.env_id}: {env.status}, target {env.target}, created {env.created_at} by "
                  f"{env.owner}" + (f", promoted {env.promoted_at}" if env.promoted_at else ""))
            print(f"schemas: {', '.join(env.schemas) or '-'}")
            for p in env.relations:
                where = ".".join(str(x) for x in p.production[1:])
                print(f"  {p.unique_id}  {where}  (built as {'.'.join(str(x) for x in p.built[1:])})")
            return 0
        if action == "diff":
            return _diff(ctx, found[names[0]], found[names[1]])
        if action == "drop":
            for name in names:
                env = found[name]
                if env.status == rec.PRODUCTION:
                    raise UsageError(f"{name} is production", hint="deploy or roll back first")
                _drop_schemas(ctx, env.schemas)
                ctx.store.drop(env)
                print(f"Dropped environment {name}")
            return 0
        raise UsageError(f"unknown action {action!r}")
    except MasonError:
        raise
    finally:
        ctx.close()


def _diff(ctx: _Context, a: rec.Environment, b: rec.Environment) -> int:
    """The resources whose definition differs between the manifests that built two environments."""
    import json

    left = json.loads(a.manifest_json() or b"{}").get("nodes", {})
    right = json.loads(b.manifest_json() or b"{}").get("nodes", {})
    volatile = ("created_at", "schema", "relation_name", "compiled_code", "compiled")
    changed = sorted(uid for uid in set(left) & set(right)
                     if {k: v for k, v in left[uid].items() if k not in volatile}
                     != {k: v for k, v in right[uid].items() if k not in volatile})
    for label, ids in (("only in " + a.env_id, sorted(set(left) - set(right))),
                       ("only in " + b.env_id, sorted(set(right) - set(left))), ("changed", changed)):
        if ids:
            print(f"{label}:")
            for uid in ids:
                print(f"  {uid}")
    if not (changed or set(left) ^ set(right)):
        print("The same project built both.")
    return 0
