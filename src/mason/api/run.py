"""The run-like commands (run, build, test, seed, snapshot, retry, show, run-operation): parse, select,
plan, execute with the stage's Runner, write the artifacts, print the summary."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason import api
from mason.api.defer import deferred_relations
from mason.artifacts import rebuilt
from mason.artifacts.run_results import NodeResult, write_run_results
from mason.artifacts.writer import flush_writes, register_secrets, scrub
from mason.compile.compiler import Compiler, build_macro_index
from mason.errors import CompileError, DatabaseError, UsageError
from mason.execute.plan import COMMAND_TYPES, SOURCE_CHECKS, build_plan
from mason.execute.runner import Runner
from mason.observe.dbt_json import JsonSink
from mason.observe.events import ConsoleSink, Tee
from mason.observe.output import raw_stdout


def make_sink(session: Any, log_file: Any = None) -> Any:
    """The console's sink (text, a live progress bar on terminals, or JSON events) and logs/dbt.log's, each with
    its own format and level (--log-format / --log-level and their -file twins)."""
    flags = session.flags
    console: Any
    if flags.log_format == "json":
        level = "debug" if flags.debug and flags.log_level != "none" else "error" if flags.quiet and \
            flags.log_level in ("debug", "info", "warn") else flags.log_level
        console = JsonSink(session.invocation_id, raw_stdout(), level, flags.printer_width)
    elif sys.stdout.isatty() and not flags.quiet and session.env.get("MASON_NO_PROGRESS") is None \
            and flags.log_level in ("info", "debug"):
        from mason.observe.progress import ProgressSink

        console = ProgressSink(quiet=flags.quiet, debug=flags.debug, width=flags.printer_width,
                               colors=None if flags.use_colors else False, level=flags.log_level)
    else:
        console = ConsoleSink(quiet=flags.quiet, debug=flags.debug, width=flags.printer_width,
                              colors=None if flags.use_colors else False, level=flags.log_level,
                              timestamps="debug" if flags.log_format == "debug" else "time")
    if log_file is None:
        return console
    if flags.log_format_file == "json":
        file_sink: Any = JsonSink(session.invocation_id, log_file, flags.log_level_file, flags.printer_width)
    else:
        file_sink = ConsoleSink(log_file, width=flags.printer_width, colors=False, level=flags.log_level_file,
                                timestamps="debug" if flags.log_format_file == "debug" else "time",
                                show_sql=flags.debug)
    return Tee(console, file_sink)


def _open_log(session: Any, parsed: api.Parsed) -> Any:
    """logs/dbt.log (rolling at --log-file-max-bytes, 10 MiB by default, like dbt); None with --log-level-file
    none."""
    if session.flags.log_level_file == "none":
        return None
    folder = Path(session.log_path) if session.log_path else parsed.loaded.project.root / parsed.loaded.project.log_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dbt.log"
    limit = session.flags.log_file_max_bytes
    if limit and path.exists() and path.stat().st_size > limit:
        path.replace(folder / "dbt.log.1")
    return path.open("a", encoding="utf-8")


def _summary(sink: Any, results: list[NodeResult], elapsed: float, manifest: Any,
             info_of: Callable[[str], Any] | None = None) -> int:
    """The closing lines (dbt's FinishedRunningStats, EndOfRunSummary, RunResult*, StatsLine events); `info_of`
    gives a result's NodeInfo for the events' node_info."""
    from mason.observe.dbt_json import node_info

    counts = {"PASS": 0, "WARN": 0, "ERROR": 0, "SKIP": 0, "NO-OP": 0}
    errors: list[NodeResult] = []
    warns: list[NodeResult] = []
    for r in results:  # as dbt's Done line: hooks, exposures and saved queries count too
        if r.status in ("success", "pass"):
            counts["PASS"] += 1
        elif r.status == "warn":
            counts["WARN"] += 1
            warns.append(r)
        elif r.status in ("error", "fail", "partial success"):  # some microbatch batches failed
            counts["ERROR"] += 1
            errors.append(r)
        elif r.status == "skipped":
            counts["SKIP"] += 1
        elif r.status == "no-op":
            counts["NO-OP"] += 1
    total = sum(counts.values())
    mins, secs = divmod(elapsed, 60)

    def about(r: NodeResult) -> tuple[Any, dict[str, Any]]:
        node = manifest.nodes.get(r.unique_id) or manifest.sources.get(r.unique_id)
        info = info_of(r.unique_id) if info_of is not None else None
        return node, ({"node_info": node_info(info, r.status)} if info is not None else {})

    sink.info("")
    sink.event("FinishedRunningStats", "info",
               f"Finished running {total} node{'s' if total != 1 else ''} in 0h {int(mins)}m {secs:.2f}s.",
               {"execution": f" in 0 hours {int(mins)} minutes and {secs:.2f} seconds", "execution_time": elapsed,
                "stat_line": f"{total} node{'s' if total != 1 else ''}"})
    sink.info("")
    summary = {"keyboard_interrupt": False, "num_errors": len(errors), "num_partial_success":
               sum(1 for r in errors if r.status == "partial success"), "num_warnings": len(warns)}
    if errors:
        sink.event("EndOfRunSummary", "info", f"Completed with {len(errors)} error{'s' if len(errors) != 1 else ''} "
                   f"and {len(warns)} warning{'s' if len(warns) != 1 else ''}:", summary, text_level="error")
        for r in errors:
            node, data = about(r)
            where = f" ({node.original_file_path})" if node is not None else ""
            label = "Failure in" if r.status == "fail" else "Error in"
            sink.error("")
            sink.event("RunResultFailure", "error", f"  {label} {r.unique_id}{where}",
                       {**data, "node_name": getattr(node, "name", r.unique_id),
                        "path": getattr(node, "original_file_path", ""),
                        "resource_type": getattr(node, "resource_type", "")})
            sink.event("RunResultError", "error", f"    {r.message}", {**data, "msg": r.message or ""})
            if node is not None and r.compiled:
                path = f"target/compiled/{node.package_name}/{node.original_file_path}"
                sink.event("SQLCompiledPath", "info", f"    compiled code at {path}", {**data, "path": path},
                           text_level="error")
    elif warns:
        sink.event("EndOfRunSummary", "info", f"Completed with {len(warns)} warning{'s' if len(warns) != 1 else ''}:",
                   summary, text_level="warn")
        for r in warns:
            node, data = about(r)
            sink.event("RunResultWarning", "warn", f"  Warning in {r.unique_id}: {r.message}",
                       {**data, "node_name": getattr(node, "name", r.unique_id),
                        "path": getattr(node, "original_file_path", ""),
                        "resource_type": getattr(node, "resource_type", "")})
            sink.event("RunResultWarningMessage", "warn", r.message or "", {**data, "msg": r.message or ""},
                       text_level="none")
    else:
        sink.event("EndOfRunSummary", "info", "Completed successfully", summary)
    sink.info("")
    sink.event("StatsLine", "info",
               f"Done. PASS={counts['PASS']} WARN={counts['WARN']} ERROR={counts['ERROR']} SKIP={counts['SKIP']} "
               f"NO-OP={counts['NO-OP']} TOTAL={total}",
               {"stats": {"error": counts["ERROR"], "noop": counts["NO-OP"], "pass": counts["PASS"],
                          "skip": counts["SKIP"], "total": total, "warn": counts["WARN"]}})
    return 1 if errors else 0


def _args_dict(session: Any, opts: dict[str, Any], which: str) -> dict[str, Any]:
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items() if v not in (None, (), False)}
    args.pop("vars_", None)
    args.pop("_retry_batches", None)
    args["which"] = which
    args["vars"] = {k: v for k, v in session.cli_vars.items() if not str(k).startswith("DBT_ENV_SECRET")}
    return args


def run_command(session: Any, opts: dict[str, Any], which: str, only: set[str] | None = None,
                parsed: api.Parsed | None = None, staged: bool = False,
                outcome: list[NodeResult] | None = None) -> int:
    """Run `which` over the selection (or `only`). `parsed`: a project already parsed (a deploy's, with its
    nodes renamed into the environment's schemas); `staged`: that build is not production's, so neither
    target/manifest.json nor the rebuilt-relations ledger hear of it; `outcome` receives the results."""
    from mason.api import selected, write_artifacts
    from mason.memory import pause_collector

    start = time.perf_counter()
    if parsed is None:
        parsed = api.parse(session)  # manifest.json is written once, at the end, with compiled code
    register_secrets(parsed.loaded.target.secrets)
    if parsed.loaded.project.alerts or parsed.loaded.target.credentials.get("alerts"):
        from mason.api.monitor import mask_alert_secrets

        mask_alert_secrets(parsed)
    log_file = _open_log(session, parsed)
    sink = make_sink(session, log_file)
    sink.debug(f"parsed the project in {(time.perf_counter() - start) * 1000:.0f} ms")
    types = COMMAND_TYPES[which]
    if only is not None:
        ids = only
    else:
        ids = selected(parsed, session, opts, types)
    selected_resources = sorted(ids)
    nodes = parsed.manifest.nodes  # ephemeral models are compiled into others; upstream projects' never built
    ids = {uid for uid in ids if not (uid in nodes and (nodes[uid].is_ephemeral or nodes[uid].is_external))}
    extra_noops: list[str] = []
    if which == "build" and only is None:
        extra_noops = sorted(selected(parsed, session, opts, ("exposure", "saved_query")))
    plan = build_plan(parsed.manifest, ids, build_mode=which in ("build", "retry"),
                      source_checks=which in SOURCE_CHECKS)
    target = parsed.loaded.target
    counts = _count_resources(parsed)
    sink.event("MainReportVersion", "info", f"Running with mason={_version()}",
               {"log_version": 3, "version": f"={_version()}"})
    args = {**{k: str(v) for k, v in session.flags.settings.items()}, "which": which,
            "invocation_command": "mason " + " ".join(sys.argv[1:])}
    sink.event("MainReportArgs", "debug", f"running mason with arguments {args}", {"args": args})
    sink.event("AdapterRegistered", "info", f"Registered adapter: {parsed.loaded.target.type}",
               {"adapter_name": parsed.loaded.target.type, "adapter_version": f"={_version()}"}, text_level="none")
    sink.event("FoundStats", "info", f"Found {counts}", {"stat_line": counts})
    sink.info("")
    if not plan.order:
        sink.event("NothingToDo", "warn", "Nothing to do. Try checking your model configs and model specification "
                   "args", {})
        if not staged:
            write_artifacts(session, parsed)
        return 0
    threads = session.flags.threads or target.threads
    sink.event("ConcurrencyLine", "info", f"Concurrency: {threads} threads (target='{target.target_name}')",
               {"node_count": len(plan), "num_threads": threads, "target_name": target.target_name})
    sink.info("")
    runner = Runner(session, parsed, which, opts, sink)
    runner.extra_total = len(extra_noops)
    runner.compiler.deferred = deferred_relations(session, parsed, opts, ids, runner.compiler, runner.adapter)
    if runner.compiler.deferred:
        sink.debug(f"deferring {len(runner.compiler.deferred)} relations to the state")
    runner.compiler.factory.selected_resources = selected_resources
    runner.compiler.factory.invocation_args = _args_dict(session, opts, which)
    results: list[NodeResult] = []
    code = 1  # until the run gets to its summary (or is interrupted)
    try:
        runner.create_schemas(plan)
        hook_results = runner.run_project_hooks("on-run-start", [])
        if any(r.status == "error" for r in hook_results):
            for i, uid in enumerate(plan.order, 1):
                runner._skip(uid, "on-run-start", i, len(plan))
            node_results = [runner.state.results[u] for u in plan.order]
        else:
            if hasattr(sink, "start"):
                sink.start(len(plan))
            t_exec = time.perf_counter()
            try:
                node_results = runner.execute_plan(plan)
                sink.debug(f"executed {len(plan)} nodes in {(time.perf_counter() - t_exec) * 1000:.0f} ms")
            finally:
                if hasattr(sink, "stop"):
                    sink.stop()
        noop = runner.report_noops(extra_noops, len(plan) + 1, len(plan) + len(extra_noops))
        end_results = runner.run_project_hooks(
            "on-run-end", [r for r in hook_results if r.status == "error"] + node_results)
        results = hook_results + node_results + noop + end_results
        code = _summary(sink, results, time.perf_counter() - start, parsed.manifest, runner.info_of)
        if getattr(session.flags, "debug", False):
            _cost_summary(sink, results)
    except KeyboardInterrupt:
        sink.error("Interrupted: running statements were cancelled and rolled back; finished nodes are kept.")
        results = list(runner.state.results.values())
        code = 1
    finally:
        elapsed = time.perf_counter() - start
        write_run_results(parsed.loaded.target_dir / "run_results.json", results, elapsed, session.invocation_id,
                          session.started_at, dict(session.env), _args_dict(session, opts, which))
        if outcome is not None:
            outcome.extend(results)
        if not staged:
            rebuilt.record(parsed.loaded.target_dir, session.invocation_id,
                           ((r.unique_id, r.status) for r in results))
        compiled = {uid: {"compiled": True, "compiled_code": r.compiled_code, "extra_ctes_injected": True,
                          "extra_ctes": []}
                    for uid, r in runner.state.results.items() if r.compiled_code is not None}
        t_art = time.perf_counter()
        pause_collector()
        flush_writes()
        if not staged:
            write_artifacts(session, parsed, compiled)
        sink.debug(f"wrote artifacts in {(time.perf_counter() - t_art) * 1000:.0f} ms")
        t_monitor = time.perf_counter()
        from mason.api.monitor import after_run

        after_run(session, parsed, runner.adapter, which, _args_dict(session, opts, which), results, code,
                  sink.warn, sink.debug)
        sink.debug(f"monitoring (history, alerts) took {(time.perf_counter() - t_monitor) * 1000:.0f} ms")
        t_close = time.perf_counter()
        runner.close()
        sink.debug(f"closed the connection in {(time.perf_counter() - t_close) * 1000:.0f} ms")
        sink.event("CommandCompleted", "debug",
                   f"Command `mason {which}` {'succeeded' if code == 0 else 'failed'} after "
                   f"{time.perf_counter() - start:.2f} seconds",
                   {"command": f"mason {which}", "completed_at": _ts(), "elapsed": time.perf_counter() - start,
                    "success": code == 0})
        if log_file is not None:
            log_file.close()
    return code


def _cost_summary(sink: Any, results: list[NodeResult], most: int = 20) -> None:
    """With --debug: the nodes that cost the most, with their compile and execute times and rows."""
    from datetime import datetime

    def ms(timing: list[dict[str, Any]], name: str) -> float:
        for t in timing:
            if t.get("name") == name and t.get("started_at") and t.get("completed_at"):
                a = datetime.fromisoformat(str(t["started_at"]).replace("Z", "+00:00"))
                b = datetime.fromisoformat(str(t["completed_at"]).replace("Z", "+00:00"))
                return (b - a).total_seconds() * 1000
        return 0.0

    costly = sorted((r for r in results if r.timing), key=lambda r: -r.execution_time)[:most]
    if not costly:
        return
    total = sum(r.execution_time for r in results)
    sink.debug("")
    sink.debug(f"Costliest nodes ({len(costly)} of {len(results)}; {total:.2f} s of node time in all):")
    sink.debug(f"  {'node':<60} {'compile ms':>10} {'execute ms':>10} {'rows':>10}")
    for r in costly:
        rows = (r.adapter_response or {}).get("rows_affected")
        sink.debug(f"  {r.unique_id[:60]:<60} {ms(r.timing, 'compile'):>10.1f} {ms(r.timing, 'execute'):>10.1f} "
                   f"{rows if rows not in (None, -1) else '':>10}")


def _ts() -> str:
    from mason.observe.dbt_json import now_ts

    return now_ts()


def _version() -> str:
    from mason import __version__

    return __version__


def _count_resources(parsed: api.Parsed) -> str:
    m = parsed.manifest
    kinds: dict[str, int] = {}
    for node in m.nodes.values():
        key = {"test": "data test", "operation": "operation"}.get(node.resource_type, node.resource_type)
        if node.is_external:
            key = "upstream model"
        kinds[key] = kinds.get(key, 0) + 1
    parts = [f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(kinds.items())]
    for label, table in (("source", m.sources), ("exposure", m.exposures), ("metric", m.metrics),
                         ("semantic model", m.semantic_models), ("saved query", m.saved_queries),
                         ("unit test", m.unit_tests), ("macro", m.macros)):
        if table:
            parts.append(f"{len(table)} {label}{'s' if len(table) != 1 else ''}")
    return ", ".join(parts)


def show(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.adapters.table import format_table
    from mason.api import parse_and_write, selected

    parsed = parse_and_write(session)
    limit = opts.get("limit")
    limit = 5 if limit is None else int(limit)
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    try:
        index = build_macro_index(parsed)
        compiler = Compiler(session, parsed, adapter, index)
        if opts.get("inline"):
            sql = compiler.compile_inline(opts["inline"])
            title = "inline query"
        else:
            ids = selected(parsed, session, {**opts, "indirect_selection": "empty"},
                           ("model", "seed", "snapshot", "test", "analysis"))
            ids = {i for i in ids if i in parsed.manifest.nodes}
            if len(ids) != 1:
                raise UsageError(f"show needs exactly one node; the selection matched {len(ids)}",
                                 hint="select one model with --select, or pass --inline 'select ...'")
            node = parsed.manifest.nodes[next(iter(ids))]
            compiler.deferred = deferred_relations(session, parsed, opts, ids, compiler, adapter)
            title = node.name
            if node.resource_type == "seed":
                sql = f"select * from {compiler.relation(node).render()}"
            else:
                sql = compiler.compile_node(node).compiled_code
        from mason.execute.materializations import clean_sql

        query = f"select * from (\n{clean_sql(sql)}\n) as model_limit_subq"
        if limit >= 0:
            query += f" limit {limit}"
        _, table = adapter.execute(query, fetch=True)
        assert table is not None
        if opts.get("output") == "json":
            rows = [{k: _jsonable(v) for k, v in zip(table.column_names, r)} for r in table.rows]
            print(scrub(json.dumps({"node": title, "show": rows}, indent=2, ensure_ascii=False)))
        else:
            print(f"Previewing {title}:")
            print(scrub(format_table(table)))
    finally:
        adapter.close()
    return 0


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def run_operation(session: Any, macro: str, opts: dict[str, Any]) -> int:
    import yaml

    from mason.adapters.factory import open_adapter
    from mason.api import parse_and_write

    parsed = parse_and_write(session)
    args: dict[str, Any] = {}
    if opts.get("args_"):
        try:
            args = yaml.safe_load(opts["args_"]) or {}
        except yaml.YAMLError as exc:
            raise UsageError(f"--args is not valid YAML: {exc}") from exc
        if not isinstance(args, dict):
            raise UsageError("--args must be a mapping, e.g. --args '{name: value}'")
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    try:
        index = build_macro_index(parsed)
        compiler = Compiler(session, parsed, adapter, index, log=lambda m, i: print(scrub(m)))
        package, _, name = macro.rpartition(".")
        found = index.find_in(package, name) if package else index.find(name, parsed.manifest.project_name)
        if found is None:
            from mason.errors import did_you_mean

            raise CompileError(f"macro {macro!r} not found", hint=did_you_mean(name, index.all_names()))
        runtime = compiler.factory.runtime(None)
        bound = runtime.bind(found)
        adapter.begin()
        try:
            bound(**args)
            adapter.commit()
        except BaseException:
            adapter.rollback()
            raise
    except DatabaseError:
        raise
    finally:
        adapter.close()
    return 0


def retry(session: Any, opts: dict[str, Any]) -> int:
    from mason.project.loader import load

    loaded = load(session)
    state = Path(opts["state"]) if opts.get("state") else loaded.target_dir
    path = state / "run_results.json"
    if not path.is_file():
        raise UsageError(f"no previous run_results.json in {state}", hint="run a command first, or pass --state")
    previous = json.loads(path.read_text())
    which = (previous.get("args") or {}).get("which", "build")
    if which not in COMMAND_TYPES:
        which = "build"
    todo = {r["unique_id"] for r in previous.get("results", [])
            if r.get("status") in ("error", "fail", "skipped", "runtime error", "partial success")
            and not r["unique_id"].startswith("operation.")}
    if not todo:
        print("Nothing to retry: the previous run had no failures.")
        return 0
    args = dict(previous.get("args") or {})
    args["_retry_batches"] = {r["unique_id"]: r["batch_results"]["failed"] for r in previous.get("results", [])
                              if r.get("status") == "partial success" and (r.get("batch_results") or {}).get("failed")}
    return run_command(session, args, which if which != "retry" else "build", only=todo)
