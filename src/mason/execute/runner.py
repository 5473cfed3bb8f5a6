"""Running a plan: a worker pool over the DAG, hooks, materializations, tests, skips and run_results."""

from __future__ import annotations

import heapq
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mason.adapters.outcome import NodeOutcome
from mason.artifacts.run_results import NodeResult
from mason.artifacts.writer import scrub, write_text_soon
from mason.compile.compiler import Compiler, build_macro_index
from mason.errors import CompileError, MasonError, Span
from mason.execute import contracts, data_tests, test_batches
from mason.execute.materializations import MATERIALIZATIONS, BuildContext
from mason.execute.plan import Plan
from mason.nodes.nodes import Node
from mason.observe.events import NodeFinished, NodeInfo
from mason.parse.result import Parsed

_FAILED = ("error", "fail")


@dataclass
class RunState:
    results: dict[str, NodeResult] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False


class Runner:
    def __init__(self, session: Any, parsed: Parsed, which: str, opts: dict[str, Any], sink: Any) -> None:
        from mason.adapters.factory import open_adapter

        self.session = session
        self.parsed = parsed
        self.manifest = parsed.manifest
        self.which = which
        self.opts = opts
        self.sink = sink
        self.adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
        self.index = build_macro_index(parsed)
        self.compiler = Compiler(session, parsed, self.adapter, self.index, log=self._jinja_log)
        self.target_dir = parsed.loaded.target_dir
        self.full_refresh = bool(session.flags.full_refresh)
        self.state = RunState()
        self._lock = threading.Lock()
        self._fk_targets: frozenset[str] | None = None
        self.extra_total = 0  # no-op nodes reported after the plan's (exposures, saved queries)
        self._groups = {g.name: g for g in (getattr(self.manifest, "groups", None) or {}).values()}
        # tests answered by a batch statement (test_batches.py): uid -> its answer
        self._prefetched: dict[str, test_batches.Answer] = {}

    def _jinja_log(self, message: str, info: bool) -> None:
        self.sink.jinja_log(scrub(message), info)

    def close(self) -> None:
        self.adapter.close()

    # ------------------------------------------------------------------ node helpers
    def _info(self, node: Any, index: int, total: int, label: str = "") -> NodeInfo:
        """The node as events show it (dbt's node_info: its relation's parts, meta, checksum, group)."""
        if node.resource_type == "source":  # a source contract's check
            return NodeInfo(node.unique_id, "source", f"{node.source_name}.{node.name}", "source",
                            f"{node.schema}.{node.identifier}", node.original_file_path, index, total,
                            node_path=node.original_file_path, database=node.database or "",
                            schema=node.schema or "", alias=node.identifier or "")
        relation = relation_name = ""
        if isinstance(node, Node) and node.resource_type in ("model", "seed", "snapshot"):
            relation = f"{node.schema}.{node.alias}"
            if not node.is_ephemeral:
                relation_name = self.compiler.relation(node).render()
        materialized = node.config.get("materialized", "") if isinstance(node, Node) else node.resource_type
        if node.resource_type == "unit_test":
            materialized = "unit"
            label = label or f"{getattr(node, 'data', {}).get('model', '')}::{node.name}"
        group = None
        if getattr(node, "group", None) and node.group in self._groups:
            g = self._groups[node.group]
            group = {"name": g.name, "owner": dict(g.owner), "package_name": g.package_name}
        if node.resource_type in ("exposure", "saved_query"):
            materialized = ""
        return NodeInfo(node.unique_id, node.resource_type, node.name, str(materialized), relation,
                        node.original_file_path, index, total, node_path=getattr(node, "path", ""),
                        database=getattr(node, "database", None) or "", schema=getattr(node, "schema", None) or "",
                        alias=getattr(node, "alias", None) or "", relation_name=relation_name,
                        meta=getattr(node, "config", {}).get("meta") or getattr(node, "meta", {}) or {},
                        checksum=getattr(node, "checksum", "") or "", group=group,
                        attached_node=getattr(node, "attached_node", None) or "",
                        config=node.config if node.resource_type == "snapshot" else {}, label=label)

    def report_noops(self, uids: list[str], first: int, total: int) -> list[NodeResult]:
        """Exposures and saved queries in a build: nothing to run, reported as dbt reports them (NO-OP)."""
        out = []
        for i, uid in enumerate(uids):
            node = self.manifest.exposures.get(uid) or self.manifest.saved_queries.get(uid)
            thread = threading.current_thread().name
            if node is not None:
                info = self._info(node, first + i, total)
                self.sink.node_finished(NodeFinished(info, "no-op", "NO-OP", 0.0, thread=thread))
            out.append(NodeResult(uid, "no-op", "NO-OP", 0, 0.0, thread, {}, [], None, None))
        return out

    def info_of(self, uid: str) -> NodeInfo | None:
        """A finished node's NodeInfo (for the run summary's events)."""
        node = self.manifest.nodes.get(uid) or self.manifest.unit_tests.get(uid) or self.manifest.sources.get(uid)
        return None if node is None else self._info(node, 0, 0)

    def _write_run_sql(self, compiled_path: str, statements: list[str]) -> None:
        if not statements:
            return
        rel = compiled_path.split("/compiled/", 1)[1]
        write_text_soon(self.target_dir / "run" / rel, "\n\n".join(s.rstrip() + ";" for s in statements) + "\n")

    def _run_hooks(self, node: Node, which: str, inside: bool, runtime: Any, record: Callable[[str], None]) -> None:
        key = "pre-hook" if which == "pre" else "post-hook"
        for i, hook in enumerate(node.config.get(key) or []):
            if bool(hook.get("transaction", True)) != inside:
                continue
            sql = runtime.render(str(hook.get("sql", "")), f"{node.unique_id}:{key}:{i}", node.package_name)
            if sql and sql.strip():
                record(sql)
                self.adapter.execute(sql)

    # ------------------------------------------------------------------ executing one node
    def run_node(self, uid: str) -> tuple[NodeOutcome, float, float, list[str], str | None]:
        """(outcome, compile seconds, execute seconds, statements, compiled path)."""
        node = self.manifest.nodes.get(uid)
        statements: list[str] = []
        record = statements.append
        if node is None:
            if uid in self.manifest.sources:
                t0 = time.perf_counter()
                return self._check_source(uid, record), 0.0, time.perf_counter() - t0, statements, None
            if uid in self.manifest.unit_tests:
                from mason.execute.unit_tests import run_unit_test

                t0 = time.perf_counter()
                outcome = run_unit_test(self, self.manifest.unit_tests[uid], record)
                return outcome, 0.0, time.perf_counter() - t0, statements, None
            return NodeOutcome("no-op", "NO-OP"), 0.0, 0.0, statements, None
        t0 = time.perf_counter()
        if node.resource_type == "seed":
            from mason.execute.seeds import load_seed

            rel = self.compiler.relation(node)
            csv_path = Path(node.root_path) / node.original_file_path
            t1 = time.perf_counter()
            outcome = load_seed(self.adapter, node, rel, csv_path, full_refresh=self._full_refresh(node),
                                empty=bool(self.session.flags.empty))
            # dbt leaves relation_name empty in run_results for seeds
            outcome = NodeOutcome(outcome.status, outcome.message, outcome.response, outcome.failures)
            return outcome, t1 - t0, time.perf_counter() - t1, statements, None
        # a test answered by a batch statement (test_batches.py) was compiled for it: not compiled again
        batched = self._prefetched.pop(uid, None)
        compiled = batched.compiled if batched is not None else self.compiler.compile_node(node)
        self.compiler.write(compiled)
        t1 = time.perf_counter()
        sql = compiled.compiled_code
        extra_compile_s = extra_execute_s = 0.0
        if batched is not None:  # its row of the batch, its own query recorded
            record(batched.query)
            outcome = data_tests.verdict(node, batched.row)
            extra_compile_s, extra_execute_s = batched.compile_s, batched.execute_s
        elif node.resource_type == "test":
            audit = self.adapter.make_relation(node.database, node.schema, node.alias, "table")
            outcome = data_tests.run_test(
                self.adapter, node, sql,
                store_failures=data_tests.should_store_failures(node, self.session.flags.store_failures),
                audit_relation=audit, record_sql=record)
        elif node.resource_type == "snapshot":
            from mason.execute.snapshots import run_snapshot

            outcome = run_snapshot(self.adapter, node, sql, self.compiler.relation(node))
        elif node.resource_type == "model":
            outcome = self._materialize(node, sql, record)
        elif node.resource_type == "analysis":
            outcome = NodeOutcome("success", "OK")
        else:
            outcome = NodeOutcome("no-op", "NO-OP")
        if node.resource_type == "test" and outcome.status == "warn" and self._warn_is_error():
            outcome = NodeOutcome("fail", outcome.message, outcome.response, outcome.failures)
        self._write_run_sql(compiled.compiled_path, statements)
        return (NodeOutcome(outcome.status, outcome.message, outcome.response, outcome.failures, sql,
                            compiled.relation_name, outcome.extra), t1 - t0 + extra_compile_s,
                time.perf_counter() - t1 + extra_execute_s, statements, compiled.compiled_path)

    def _check_source(self, uid: str, record: Callable[[str], None]) -> NodeOutcome:
        from mason.execute.source_contracts import check_source

        src = self.manifest.sources[uid]
        root = next((p.root for p in self.parsed.loaded.packages if p.name == src.package_name), None)

        def target(raw: str) -> str:  # a foreign key's `to: ref(...) | source(...)`, rendered
            from mason.nodes.nodes import RefCall
            from mason.parse.static import extract

            found = extract("{{ " + raw + " }}")
            if found is not None and found.sources:
                return self.compiler._source_relation(src, *found.sources[0]).render()  # type: ignore[arg-type]
            ref = found.refs[0] if found is not None and found.refs else None
            parent = self.compiler.resolver.resolve(RefCall(*ref), src.package_name) if ref else None
            if parent is None:
                raise CompileError(f"{uid}: the foreign key target {raw} was not found", Span(src.original_file_path))
            return self.compiler.relation(self.manifest.nodes[parent]).render()

        return check_source(self.adapter, src, self.compiler.source_relation(src),
                            root, target, record)

    def _set_query_comment(self, node: Any) -> None:
        """dbt's query-comment: JSON about the run by default, a Jinja string, a dict, or null to disable."""
        if not hasattr(self.adapter, "set_query_comment"):
            return
        setting = self.parsed.loaded.project.query_comment
        raw = self.parsed.loaded.project.raw
        if "query-comment" in raw and raw["query-comment"] is None:
            self.adapter.set_query_comment(None)
            return
        append = False
        if isinstance(setting, dict):
            append = bool(setting.get("append", False))
            setting = setting.get("comment")
        target = self.parsed.loaded.target
        if not setting:
            comment = json.dumps({"app": "dbt", "dbt_version": "1.11.0", "profile_name": target.profile_name,
                                  "target_name": target.target_name, "node_id": node.unique_id})
        else:
            runtime = self.compiler.factory.runtime(node if isinstance(node, Node) else None)
            comment = runtime.render(str(setting), "query-comment", self.manifest.project_name).strip()
        self.adapter.set_query_comment(comment, append)

    def _warn_is_error(self) -> bool:
        if self.session.flags.warn_error:
            return True
        opts = self.session.flags.warn_error_options or {}
        err = opts.get("error", opts.get("include"))
        return err in ("all", "*") or (isinstance(err, list) and any(e in ("all", "*", "LogTestResult") for e in err))

    def _full_refresh(self, node: Node) -> bool:
        configured = node.config.get("full_refresh")
        return bool(configured) if configured is not None else self.full_refresh

    def _materialize(self, node: Node, sql: str, record: Callable[[str], None]) -> NodeOutcome:
        from mason.execute import custom_materialization as custom

        found = custom.find_materialization(self.index, node)
        if found is not None:
            return custom.run_materialization(self, node, sql, record, found)
        builder = MATERIALIZATIONS.get(node.materialized)
        if builder is None:
            raise custom.unknown_materialization(self.index, node, self.adapter.type)
        runtime = self.compiler.runtime_for(node, [])
        if node.materialized == "incremental" and node.config.get("incremental_strategy") == "microbatch":
            return self._microbatch(node, runtime, record)
        contract = self._contract(node, runtime, sql) if contracts.enforced(node) else None
        ctx = BuildContext(
            adapter=self.adapter, node=node, sql=sql, relation=self.compiler.relation(node),
            full_refresh=self._full_refresh(node),
            run_hooks=lambda which, inside: self._run_hooks(node, which, inside, runtime, record),
            record_sql=record, contract=contract, referenced=node.unique_id in self._referenced(),
        )
        return builder(ctx)

    def _referenced(self) -> frozenset[str]:
        """The models other models' foreign keys point at (computed once per run)."""
        if self._fk_targets is None:
            from mason.nodes.constraints import foreign_key_targets
            from mason.nodes.nodes import RefCall
            from mason.parse.static import extract

            found: set[str] = set()
            refable = getattr(self.manifest.nodes, "refable", None)
            for other in refable() if refable is not None else self.manifest.nodes.values():
                if other.resource_type != "model":
                    continue
                for raw in foreign_key_targets(other.columns.values(), other.constraints):
                    calls = extract("{{ " + raw + " }}")
                    for ref in calls.refs if calls is not None else ():
                        uid = self.compiler.resolver.resolve(RefCall(*ref), other.package_name)
                        if uid is not None:
                            found.add(uid)
            self._fk_targets = frozenset(found)
        return self._fk_targets

    def _contract(self, node: Node, runtime: Any, sql: str) -> Any:
        """An enforced contract: checked against the model's query before any DDL; the table builds get it
        (its column types and constraints go into their DDL), views only the check."""
        if node.materialized not in contracts.CHECKED:
            return None

        def target(raw: str) -> str:
            return str(runtime.render("{{ " + raw + " }}", f"{node.unique_id}:constraint", node.package_name)).strip()

        contract = contracts.model_contract(node, self.adapter, target, lambda m: self.sink.warn(scrub(m)))
        contracts.check_columns(self.adapter, node, contract, sql)
        return None if node.materialized == "view" else contract

    def _microbatch(self, node: Node, runtime: Any, record: Callable[[str], None]) -> NodeOutcome:
        from mason.execute import microbatch as mb

        if "microbatch" not in self.adapter.capabilities.incremental_strategies:
            raise CompileError(f"the microbatch strategy is not supported on {self.adapter.type}",
                               Span(node.original_file_path))
        cfg = mb.MicrobatchConfig.of(node)
        relation = self.compiler.relation(node)
        span = Span(node.original_file_path)
        start = self.opts.get("event_time_start")
        end = self.opts.get("event_time_end")
        only = (self.opts.get("_retry_batches") or {}).get(node.unique_id)
        full_refresh = self._full_refresh(node)
        exists = mb.relation_exists_as_table(self.adapter, relation)
        built = set() if full_refresh else mb.built_batches(self.adapter, mb.ledger_relation(self.adapter, node), node)
        batches = mb.plan_batches(
            cfg, mb.now_utc(), exists, full_refresh, built,
            mb.parse_time(start, "--event-time-start", span) if start else None,
            mb.parse_time(end, "--event-time-end", span) if end else None,
            [(mb.parse_time(s, "batch", span), mb.parse_time(e, "batch", span)) for s, e in only] if only else None)

        def compile_batch(batch: tuple[Any, Any], info: dict[str, Any]) -> str:
            compiled = self.compiler.compile_batch(node, (mb._fmt(batch[0]), mb._fmt(batch[1])), info)
            self.compiler.write(compiled)
            return compiled.compiled_code

        run = mb.MicrobatchRun(self.adapter, node, relation, compile_batch,
                               lambda which, inside: self._run_hooks(node, which, inside, runtime, record),
                               record, self.session.invocation_id)
        return run.run(cfg, batches, fresh=not exists or full_refresh)

    # ------------------------------------------------------------------ hooks around the run
    def run_project_hooks(self, kind: str, results: list[NodeResult]) -> list[NodeResult]:
        out: list[NodeResult] = []
        hooks = [n for n in self.manifest.nodes.values() if n.resource_type == "operation" and kind in n.tags]
        pkg_order = {p: i for i, p in enumerate(sorted(p for p in self.manifest.project_packages
                                                         if p != self.manifest.project_name))}
        hooks.sort(key=lambda n: (pkg_order.get(n.package_name, 10**6), int(n.name.rsplit("-", 1)[-1])))
        if not hooks:
            return out
        schemas = sorted({n.schema for n in self.manifest.nodes.values()
                          if n.unique_id in self.state.results and n.schema
                          and self.state.results[n.unique_id].status == "success"})
        extra = {"results": [_ResultView(r, self.manifest) for r in results], "schemas": schemas,
                 "database_schemas": [(self.parsed.loaded.target.database, s) for s in schemas]}
        self.sink.info(f"Running {len(hooks)} {kind} hook{'s' if len(hooks) != 1 else ''}")
        for i, hook in enumerate(hooks, 1):
            start = time.perf_counter()
            started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            index = hook.name.rsplit("-", 1)[-1]
            name = f"{hook.package_name}.{kind}.{index}"
            info = self._info(hook, i, len(hooks), name)
            self.sink.node_started(info)
            runtime = self.compiler.factory.runtime(hook, extra)
            try:
                sql = runtime.render(hook.raw_code, f"{hook.unique_id}", hook.package_name)
                if sql.strip():
                    self.adapter.execute(sql)
                status, message = "success", f"{name} passed"
            except MasonError as exc:
                status, message = "error", exc.render()
            elapsed = time.perf_counter() - start
            timing = ({"name": "execute", "started_at": started_at,
                       "completed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},)
            self.sink.node_finished(NodeFinished(info, status, message, elapsed, thread="main", timing=timing))
            out.append(NodeResult(hook.unique_id, status, message, 0, elapsed, threading.current_thread().name, {},
                                  [], None, None))
            if status == "error":
                self.sink.error(f"  {message}")
        return out

    def create_schemas(self, plan: Plan) -> None:
        """Create every schema the selected nodes build into, once, before any worker starts (as dbt does)."""
        wanted: set[tuple[str | None, str]] = set()
        for uid in plan.order:
            node = self.manifest.nodes.get(uid)
            if node is None or node.schema is None:
                continue
            if node.resource_type in ("model", "seed", "snapshot") and not node.is_ephemeral or node.resource_type == "test" and data_tests.should_store_failures(
                    node, self.session.flags.store_failures):
                wanted.add((node.database, node.schema))
        for database, schema in sorted(wanted, key=lambda x: (x[0] or "", x[1])):
            if not self.adapter.list_relations(database, schema):
                self.adapter.create_schema(database, schema)
            self.adapter.cache.schema_created(database, schema)

    # ------------------------------------------------------------------ the scheduler
    def execute_plan(self, plan: Plan) -> list[NodeResult]:
        threads = max(1, int(self.session.flags.threads or self.parsed.loaded.target.threads or 1))
        total = len(plan) + self.extra_total
        index_of = {uid: i + 1 for i, uid in enumerate(plan.order)}
        remaining = {uid: len(plan.deps[uid]) for uid in plan.order}
        skipped: dict[str, str] = {}
        # a heap: the shallowest ready node first (then plan order); thousands can be ready at once
        ready = sorted((plan.depth[uid], index_of[uid], uid) for uid, n in remaining.items() if n == 0)
        running: dict[Future[Any], tuple[str, ...]] = {}
        started: set[str] = set()  # submitted to a worker (a unit test's error skips only siblings not started)
        fail_fast = bool(self.session.flags.fail_fast)
        stop = False

        def node_of(uid: str) -> Any:
            return self.manifest.nodes.get(uid) or self.manifest.unit_tests.get(uid) or self.manifest.sources.get(uid)

        def finish(uid: str, outcome: NodeOutcome, compile_s: float, exec_s: float, sql: list[str],
                   start_iso: str, mid_iso: str, thread: str) -> None:
            end_iso = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            node = node_of(uid)
            info = self._info(node, index_of[uid], total)
            elapsed = compile_s + exec_s
            timing = [{"name": "compile", "started_at": start_iso, "completed_at": mid_iso},
                      {"name": "execute", "started_at": mid_iso, "completed_at": end_iso}]
            response = outcome.response.to_dict() if outcome.status not in ("skipped", "no-op", "error") else {}
            self.sink.node_finished(NodeFinished(info, outcome.status, scrub(outcome.message or ""), elapsed,
                                                 outcome.failures, compile_s * 1000, exec_s * 1000,
                                                 outcome.response.rows_affected, tuple(scrub(s) for s in sql),
                                                 response, thread, tuple(timing)))
            self.state.results[uid] = NodeResult(
                uid, outcome.status, scrub(outcome.message) if outcome.message else outcome.message,
                outcome.failures, elapsed, thread, response, timing,
                scrub(outcome.compiled_code) if outcome.compiled_code else None, outcome.relation_name,
                outcome.compiled_code is not None, outcome.extra.get("batch_results"))

        def work(uid: str) -> tuple[NodeOutcome, float, float, list[str], str, str, str]:
            start_dt = datetime.now(UTC)
            start_iso = start_dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            node = node_of(uid)
            self.sink.node_started(self._info(node, index_of[uid], total))
            try:
                self._set_query_comment(node)
                outcome, c, e, sql, _ = self.run_node(uid)
            except MasonError as exc:
                if exc.span is None and isinstance(node, Node):
                    exc.span = Span(node.original_file_path)
                outcome, c, e, sql = NodeOutcome("error", exc.render()), 0.0, 0.0, []
            except Exception as exc:  # a bug or a driver error we did not wrap: report it on the node
                if self.session.flags.debug:
                    import traceback

                    traceback.print_exc()
                outcome, c, e, sql = NodeOutcome("error", f"{type(exc).__name__}: {exc}"), 0.0, 0.0, []
            # run_results' timing: compile from the start for as long as compiling took, then execute
            mid = (start_dt + timedelta(seconds=c)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            return outcome, c, e, sql, start_iso, mid, threading.current_thread().name

        def work_batch(uids: list[str]) -> list[tuple[NodeOutcome, float, float, list[str], str, str, str]]:
            """Data tests answered by one statement (test_batches.py), then each finished as if run alone."""
            try:
                self._prefetched.update(test_batches.prefetch(self, uids))
                return [work(uid) for uid in uids]
            finally:
                for uid in uids:
                    self._prefetched.pop(uid, None)

        # build: a model's unit tests run before it, one at a time; one that errors (not one that fails)
        # skips the model's unit tests that have not started yet, as dbt does
        siblings: dict[str, list[str]] = {}
        group_of: dict[str, str] = {}
        for uid in plan.order:
            unit = self.manifest.unit_tests.get(uid)
            model = next(iter(unit.depends_on_nodes), None) if unit is not None else None
            if model is not None and uid in plan.deps.get(model, ()):
                siblings.setdefault(model, []).append(uid)
                group_of[uid] = model
        group_busy: set[str] = set()
        group_waiting: dict[str, list[tuple[int, int, str]]] = {}

        def mark_skipped(uid: str, cause: str, status: str) -> None:
            for child in plan.descendants(uid):
                if child not in skipped and child not in self.state.results:
                    skipped[child] = cause
            model = group_of.get(uid) if status == "error" else None
            for other in siblings.get(model or "", ()):
                if other not in skipped and other not in self.state.results and other not in started:
                    skipped[other] = cause

        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="Thread-worker")
        try:
            while ready or running:
                while ready and len(running) < threads and not stop:
                    entry = heapq.heappop(ready)
                    uid = entry[2]
                    if uid in skipped:
                        self._skip(uid, skipped[uid], index_of[uid], total)
                        self._release(uid, plan, remaining, ready, index_of)
                        continue
                    group = group_of.get(uid)
                    if group is not None:
                        if group in group_busy:
                            group_waiting.setdefault(group, []).append(entry)
                            continue
                        group_busy.add(group)
                    batch = [uid]
                    if test_batches.batchable(self, self.manifest.nodes.get(uid)):
                        while ready and len(batch) < test_batches.BATCH_SIZE and ready[0][2] not in skipped \
                                and test_batches.batchable(self, self.manifest.nodes.get(ready[0][2])):
                            batch.append(heapq.heappop(ready)[2])
                    started.update(batch)
                    running[pool.submit(work_batch, batch) if len(batch) > 1 else pool.submit(work, uid)] = tuple(batch)
                if stop and not running:
                    break
                if not running:
                    continue
                # a timeout keeps the main thread responsive to Ctrl-C
                done, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in done:
                    uids = running.pop(fut)
                    for uid, result in zip(uids, fut.result() if len(uids) > 1 else [fut.result()], strict=True):
                        if uid in group_of:
                            group_busy.discard(group_of[uid])
                            for entry in group_waiting.pop(group_of[uid], ()):
                                heapq.heappush(ready, entry)
                        outcome, c, e, sql, s_iso, m_iso, thread = result
                        finish(uid, outcome, c, e, sql, s_iso, m_iso, thread)
                        failed = outcome.status in _FAILED
                        if failed:
                            mark_skipped(uid, uid, outcome.status)
                            if fail_fast:
                                stop = True
                                self.adapter.cancel()
                        self._release(uid, plan, remaining, ready, index_of)
            if stop:
                for uid in plan.order:
                    if uid not in self.state.results:
                        self._skip(uid, "fail-fast", index_of[uid], total)
        except KeyboardInterrupt:
            self.state.cancelled = True
            self.adapter.cancel()
            for fut in running:
                fut.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [self.state.results[uid] for uid in plan.order if uid in self.state.results]

    def _release(self, uid: str, plan: Plan, remaining: dict[str, int], ready: list[tuple[int, int, str]],
                 index_of: dict[str, int]) -> None:
        for child in plan.dependents.get(uid, ()):
            remaining[child] -= 1
            if remaining[child] == 0:
                heapq.heappush(ready, (plan.depth[child], index_of[child], child))

    def _skip(self, uid: str, cause: str, index: int, total: int) -> None:
        node = self.manifest.nodes.get(uid) or self.manifest.unit_tests.get(uid) or self.manifest.sources.get(uid)
        info = self._info(node, index, total)
        self.sink.node_finished(NodeFinished(info, "skipped", None, 0.0, thread=threading.current_thread().name))
        self.state.results[uid] = NodeResult(uid, "skipped", None, None, 0.0, threading.current_thread().name, {},
                                             [], None, None)


class _ResultView:
    """What on-run-end hooks see in `results`: .node, .status, .message, .execution_time..."""

    def __init__(self, result: NodeResult, manifest: Any) -> None:
        self._r = result
        node = manifest.nodes.get(result.unique_id)
        self.node = _Obj({"unique_id": result.unique_id, "name": getattr(node, "name", result.unique_id),
                          "resource_type": getattr(node, "resource_type", ""),
                          "schema": getattr(node, "schema", None), "alias": getattr(node, "alias", None),
                          "database": getattr(node, "database", None),
                          "config": dict(getattr(node, "config", {}) or {})})
        self.status = result.status
        self.message = result.message
        self.execution_time = result.execution_time
        self.failures = result.failures
        self.adapter_response = result.adapter_response
        self.thread_id = result.thread_id
        self.timing = result.timing


class _Obj(dict[str, Any]):
    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc


