"""The compiler: node → CompiledNode (SQL with refs rendered and ephemeral CTEs injected). Never mutates nodes."""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from mason.adapters.relation import Relation
from mason.artifacts.writer import write_text_soon
from mason.errors import CompileError, MasonError, Span
from mason.graph.dag import RefResolver
from mason.jinja.environment import MacroException, _finalize, template_line
from mason.jinja.flags import JinjaFlags
from mason.jinja.macros import MacroIndex, MacroRuntime
from mason.jinja.runtime_context import ContextFactory, RuntimeConfig, StatementResults
from mason.memory import resume_collector
from mason.nodes.nodes import Node, RefCall
from mason.parse.generic_tests import _REF_EXPR, evaluate_kwargs
from mason.parse.purity import Purity
from mason.parse.static import render_static

# the `model` argument the parser gives a generic test, and the target expressions it writes into it
_TEST_MODEL = re.compile(r"^\{\{ get_where_subquery\((.*)\) \}\}$", re.S)
_TEST_TARGET = re.compile(r"^(?:ref\('([^'\\]*)'(?:, version='([^'\\]*)')?\)|source\('([^'\\]*)', '([^'\\]*)'\))$")
_LEADING_WITH = re.compile(r"^(\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*)with\b", re.I | re.S)


@dataclass(frozen=True, slots=True)
class CompiledNode:
    node: Node
    compiled_code: str
    extra_ctes: tuple[tuple[str, str], ...]
    relation_name: str | None
    compiled_path: str

    def manifest_fields(self) -> dict[str, Any]:
        return {
            "compiled": True,
            "compiled_code": self.compiled_code,
            "extra_ctes_injected": True,
            "extra_ctes": [{"id": i, "sql": s} for i, s in self.extra_ctes],
            "compiled_path": self.compiled_path,
        }


def build_macro_index(parsed: Any) -> MacroIndex:
    """The MacroIndex for compile/run, from the macros and macro files the parse kept."""
    manifest = parsed.manifest
    return MacroIndex(manifest.macros.values(), manifest.macro_files, manifest.project_name,
                      [p.name for p in parsed.loaded.packages], manifest.adapter_type,
                      parsed.loaded.project.dispatch)


class Compiler:
    def __init__(self, session: Any, parsed: Any, adapter: Any = None, index: MacroIndex | None = None,
                 log: Any = None) -> None:
        resume_collector()
        self.session = session
        self.parsed = parsed
        self.manifest = parsed.manifest
        self.adapter = adapter
        self.index = index or build_macro_index(parsed)
        self.resolver = RefResolver(self.manifest)
        loaded = parsed.loaded
        self.target_dir = Path(loaded.target_dir)
        pkg_vars = {p.name: p.config.vars for p in loaded.packages if not p.is_root}
        self.empty = bool(session.flags.empty)
        self.factory = ContextFactory(
            manifest=self.manifest, index=self.index, target=loaded.target.context(),
            cli_vars=dict(session.cli_vars), root_vars=loaded.project.vars, package_vars=pkg_vars,
            env=dict(session.env), flags=JinjaFlags(session), invocation_id=session.invocation_id,
            run_started_at=session.started_at, quoting=loaded.project.quoting, adapter=adapter, log=log,
            resolve_ref=None, resolve_source=self._source_relation,
        )
        self._cache: dict[str, CompiledNode] = {}
        self._lock = threading.Lock()
        # --defer: unique id -> the state's relation, which a ref() to that (unselected) node reads
        self.deferred: dict[str, Relation] = {}
        self.purity = Purity(self.index)
        self._pure_outputs: dict[tuple[str, str, str], str] = {}
        self._test_runtimes: dict[tuple[Any, ...], MacroRuntime] = {}
        self._context_names: frozenset[str] | None = None
        self._semantic_graph: Any = None

    # -- relations
    def relation(self, node: Node) -> Relation:
        return self.factory.relation_for(node)

    def relation_name(self, node: Node) -> str | None:
        if node.resource_type not in ("model", "seed", "snapshot") or node.is_ephemeral:
            return None
        return self.relation(node).render()

    def _source_relation(self, node: Node | None, source_name: str, table_name: str,
                         window: tuple[str, str] | None = None) -> Relation:
        uid = self.resolver.resolve_source(source_name, table_name, node.package_name if node else None)
        if uid is None:
            raise CompileError(f"source {source_name}.{table_name} was not found",
                               Span(node.original_file_path) if node else None)
        return self.source_relation(self.manifest.sources[uid], window)

    def source_relation(self, src: Any, window: tuple[str, str] | None = None) -> Relation:
        """The relation of one source table (not looked up by name: several packages may declare it)."""
        rel = self.factory.make_relation(src.database, src.schema, src.identifier, "table")
        if src.quoting:
            rel = rel.quote(**{k: v for k, v in src.quoting.items() if k in ("database", "schema", "identifier")})
        if self.empty:
            from dataclasses import replace

            rel = replace(rel, limit=0)
        elif window is not None and (src.config or {}).get("event_time"):
            rel = _windowed(rel, str(src.config["event_time"]), window)
        return rel

    def _make_ref(self, node: Node, ctes: list[tuple[str, str]],  # type: ignore[no-untyped-def]
                  window: tuple[str, str] | None = None):
        def ref(*args: Any, **kwargs: Any) -> Relation:
            version = kwargs.get("version", kwargs.get("v"))
            if len(args) == 1:
                call = RefCall(str(args[0]), None, None if version is None else str(version))
            elif len(args) == 2:
                call = RefCall(str(args[1]), str(args[0]), None if version is None else str(version))
            else:
                raise CompileError(f"ref() takes one or two names, got {len(args)}", Span(node.original_file_path))
            uid = self.resolver.resolve(call, node.package_name)
            if uid is None:
                raise CompileError(f"{node.unique_id} refers to {call.name!r}, which was not found",
                                   Span(node.original_file_path))
            target = self.manifest.nodes[uid]
            if target.is_ephemeral:
                compiled = self.compile_node(target)
                for cte in compiled.extra_ctes:
                    if cte[0] not in (c[0] for c in ctes):
                        ctes.append(cte)
                cte_name = f"__dbt__cte__{target.name}"
                if uid not in (c[0] for c in ctes):
                    ctes.append((uid, f" {cte_name} as (\n{compiled.compiled_code}\n)"))
                return self.factory.make_relation(None, None, cte_name, "cte")
            rel = self.deferred.get(uid) or self.relation(target)
            if self.empty:
                from dataclasses import replace

                rel = replace(rel, limit=0)
            elif window is not None and target.config.get("event_time"):
                rel = _windowed(rel, str(target.config["event_time"]), window)
            return rel

        return ref

    # -- compile
    def runtime_for(self, node: Node, ctes: list[tuple[str, str]], extra: dict[str, Any] | None = None,
                    statements: StatementResults | None = None) -> MacroRuntime:
        merged = {"ref": self._make_ref(node, ctes)}
        if extra:
            merged.update(extra)
        return self.factory.runtime(node, merged, statements)

    def _render_static(self, node: Node, ctes: list[tuple[str, str]]) -> str | None:
        """Most models only use ref/source/config/this: render them without compiling a Jinja template."""
        this = self.relation(node) if node.resource_type != "test" else None
        return render_static(node.raw_code, self._make_ref(node, ctes),
                             lambda s, t: self._source_relation(node, s, t), this,
                             self.factory.target, lambda: self._is_incremental(node),
                             lambda name, args, kwargs: self._pure_call(node, name, args, kwargs))

    def _pure_call(self, node: Node, name: str, args: list[Any], kwargs: dict[str, Any]) -> str | None:
        """The output of a pure macro called with literal arguments: rendered once per distinct call and
        shared by every model making it. None (render the model normally) for anything else."""
        macro = self.purity.macro_for_call(name, node.package_name)
        if macro is None:
            return None
        key = (macro.unique_id, repr(args), repr(sorted(kwargs.items())))
        found = self._pure_outputs.get(key)
        if found is None:
            try:
                value = self.factory.runtime(None).bind(macro)(*args, **kwargs)
            except Exception:
                return None  # let the full render report it, with the model's file and line
            found = self._pure_outputs[key] = str(_finalize(value))
        return found

    def _generic_test(self, node: Node, ctes: list[tuple[str, str]]) -> str | None:
        """A generic test's SQL without a render of its own: when its macro (and `get_where_subquery`) is pure
        but for reading the test's configs (Purity.config_reads) and its arguments are literals, the macro is
        called with them in a context shared by the tests with the same values of the configs it reads.
        None (render the test as usual) otherwise, or on any error (the render reports it)."""
        md = node.test_metadata
        assert md is not None
        if md.name == "metric_anomalies" or self.index.masked_builtins(node.package_name):
            return None
        kwargs = {k: v for k, v in md.kwargs.items() if k != "model"}
        model = _TEST_MODEL.match(str(md.kwargs.get("model", "")))
        target = _TEST_TARGET.match(model.group(1)) if model else None
        if target is None or not all(_literal(v) for v in kwargs.values()):
            return None
        kwargs = copy.deepcopy(kwargs)  # as evaluated arguments are: the macro's own to change
        name = f"test_{md.name}"
        macro = self.index.find_in(md.namespace, name) if md.namespace else self.index.find(name, node.package_name)
        where = self.index.find("get_where_subquery", node.package_name)
        if macro is None or where is None:
            return None
        if self._context_names is None:
            self._context_names = frozenset(self.factory.runtime(None).base)
        names = self._context_names
        reads = self.purity.config_reads(macro, names)
        where_reads = self.purity.config_reads(where, names)
        if reads is None or where_reads is None or names & {name, "get_where_subquery"}:
            return None
        config = RuntimeConfig(node.config, node.unique_id)
        key = (threading.get_ident(), node.package_name,
               tuple((k, repr(config.get(k))) for k in sorted(reads | where_reads)))
        try:
            runtime = self._test_runtimes.get(key)
            if runtime is None:
                runtime = self._test_runtimes[key] = self.factory.runtime(node)
            ref_name, version, source_name, table = target.groups()
            own: list[tuple[str, str]] = []
            if ref_name is not None:
                relation = self._make_ref(node, own)(ref_name, **({} if version is None else {"version": version}))
            else:
                relation = self._source_relation(node, source_name, table)
            kwargs["model"] = runtime.bind(where)(relation)
            sql = str(_finalize(runtime.bind(macro)(**kwargs)))
        except Exception:
            return None
        ctes.extend(own)
        return sql

    def _is_incremental(self, node: Node) -> bool:
        if node.materialized != "incremental" or self.adapter is None:
            return False
        configured = node.config.get("full_refresh")
        if (bool(configured) if configured is not None else bool(self.session.flags.full_refresh)):
            return False
        rel = self.adapter.get_relation(node.database, node.schema or "", node.alias or "")
        return rel is not None and rel.type == "table"

    def _render(self, node: Node, runtime: MacroRuntime) -> str:
        name = f"{node.package_name}/{node.original_file_path}"
        try:
            if node.test_metadata is not None:
                kwargs = self._test_kwargs(node, runtime)
                runtime.base["_dbt_generic_test_kwargs"] = kwargs
                ns = runtime.namespace(node.package_name)
                ns["_dbt_generic_test_kwargs"] = kwargs
                # the macro's call alone: the `{{ config(...) }}` dbt appends records the YAML's configs,
                # which are already the node's
                call, sep, _ = node.raw_code.partition(") }}")
                return runtime.render(call + sep, name, node.package_name)
            return runtime.render(node.raw_code, name, node.package_name)
        except MasonError as exc:
            if exc.span is None:
                exc.span = Span(node.original_file_path, template_line(exc, name))
            raise
        except (MacroException, jinja2.TemplateError) as exc:
            line = template_line(exc, name)
            raise CompileError(f"{node.unique_id}: {exc}", Span(node.original_file_path, line)) from exc
        except Exception as exc:
            line = template_line(exc, name)
            raise CompileError(f"{node.unique_id}: {type(exc).__name__}: {exc}",
                               Span(node.original_file_path, line)) from exc

    def _test_kwargs(self, node: Node, runtime: MacroRuntime) -> dict[str, Any]:
        assert node.test_metadata is not None
        return evaluate_kwargs(node.test_metadata.kwargs, runtime, node.package_name, node.unique_id)

    def compile_batch(self, node: Node, window: tuple[str, str], batch: dict[str, Any]) -> CompiledNode:
        """A microbatch model's SQL for one batch: refs and sources that declare `event_time` read only
        [start, end); `model.batch` (id, event_time_start, event_time_end) is in the Jinja context."""
        ctes: list[tuple[str, str]] = []
        this = self.relation(node)
        sql = None
        if not node.rendered_at_parse:
            sql = render_static(node.raw_code, self._make_ref(node, ctes, window),
                                lambda s, t: self._source_relation(node, s, t, window), this,
                                self.factory.target, lambda: self._is_incremental(node),
                                lambda name, args, kwargs: self._pure_call(node, name, args, kwargs))
        if sql is None:
            extra = {"ref": self._make_ref(node, ctes, window),
                     "source": lambda s, t: self._source_relation(node, s, t, window)}
            runtime = self.factory.runtime(node, extra)
            model = runtime.base.get("model")
            if isinstance(model, dict):
                model["batch"] = batch
            sql = self._render(node, runtime)
        path = self.compiled_path(node)
        stem, dot, ext = path.rpartition(".")
        batch_path = f"{stem}/{node.name}_{batch['id']}.{ext}" if dot else f"{path}_{batch['id']}"
        return CompiledNode(node, inject_ctes(sql, ctes) if ctes else sql, tuple(ctes),
                            self.relation_name(node), batch_path)

    def compile_node(self, node: Node) -> CompiledNode:
        cached = self._cache.get(node.unique_id)
        if cached is not None:
            return cached
        ctes: list[tuple[str, str]] = []
        static = not node.rendered_at_parse and node.test_metadata is None \
            and not self.index.masked_builtins(node.package_name)
        sql = self._render_static(node, ctes) if static else None
        if sql is None and node.test_metadata is not None and not node.rendered_at_parse:
            sql = self._generic_test(node, ctes)
        if sql is None:
            extra = None
            if node.test_metadata is not None and node.test_metadata.name == "metric_anomalies":
                extra = {"mason_metric_sql": self._metric_sql}
            runtime = self.runtime_for(node, ctes, extra)
            sql = self._render(node, runtime)
        compiled = CompiledNode(node, inject_ctes(sql, ctes) if ctes else sql, tuple(ctes),
                                self.relation_name(node), self.compiled_path(node))
        with self._lock:
            self._cache[node.unique_id] = compiled
        return compiled

    def _metric_sql(self, metric: str, grain: str) -> str:
        """`metric_anomalies`' series: the metric by metric_time at `grain` (mason/monitor/metric_series.py)."""
        from mason.adapters.target import SQL_DIALECTS
        from mason.monitor.metric_series import metric_series_sql, semantic_graph

        with self._lock:
            if self._semantic_graph is None:
                roots = {p.name: p.root for p in self.parsed.loaded.packages}
                self._semantic_graph = semantic_graph(self.manifest, lambda n: self.relation(n).render(), roots)
        return metric_series_sql(self._semantic_graph, metric, grain, SQL_DIALECTS.get(self.manifest.adapter_type))

    def compiled_path(self, node: Node) -> str:
        base = f"{self.parsed.loaded.project.target_path}/compiled/{node.package_name}"
        original = node.original_file_path
        if original.startswith("./"):
            original = original[2:]
        if original.endswith((".yml", ".yaml")):
            # generic tests, hooks and YAML-defined nodes live "inside" the file that declares them
            return f"{base}/{original}/{node.path}"
        return f"{base}/{original}"

    def write(self, compiled: CompiledNode, kind: str = "compiled", text: str | None = None) -> Path:
        rel = compiled.compiled_path.split("/compiled/", 1)[1]
        path = self.target_dir / kind / rel
        write_text_soon(path, compiled.compiled_code if text is None else text)
        return path

    def compile_selected(self, ids: set[str]) -> dict[str, CompiledNode]:
        out: dict[str, CompiledNode] = {}
        errors: list[MasonError] = []
        for uid in sorted(ids):
            node = self.manifest.nodes.get(uid)
            if node is None or node.resource_type in ("seed", "snapshot"):
                continue
            try:
                compiled = self.compile_node(node)
            except MasonError as exc:
                errors.append(exc)
                continue
            out[uid] = compiled
            self.write(compiled)
        if errors:
            from mason.errors import ParseErrors

            raise errors[0] if len(errors) == 1 else ParseErrors(errors)
        return out

    def compile_inline(self, sql: str) -> str:
        from mason.nodes.nodes import Node as _Node

        node = _Node(unique_id=f"sql_operation.{self.manifest.project_name}.inline_query", resource_type="sql_operation",
                     package_name=self.manifest.project_name, name="inline_query", path="inline_query.sql",
                     original_file_path="<inline>", fqn=(self.manifest.project_name, "inline_query"), raw_code=sql,
                     checksum="", config={"materialized": "view"})
        return self.compile_node(node).compiled_code


def _literal(value: Any) -> bool:
    """A test argument that reaches the macro as written (no Jinja, no ref()/source() to evaluate)."""
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value and not _REF_EXPR.match(value)
    if isinstance(value, list):
        return all(_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_literal(v) for v in value.values())
    return True


def inject_ctes(sql: str, ctes: list[tuple[str, str]]) -> str:
    """Put ephemeral models in front as CTEs, merging with the model's own WITH if it has one."""
    if not ctes:
        return sql
    joined = ", ".join(body for _, body in ctes)
    match = _LEADING_WITH.match(sql)
    if match:
        return f"{sql[:match.end()]}{joined}, {sql[match.end():].lstrip()}"
    return f"with{joined}\n{sql}"


def _windowed(rel: Relation, column: str, window: tuple[str, str]) -> Relation:
    from dataclasses import replace

    return replace(rel, event_time_filter=(column, window[0], window[1]))
