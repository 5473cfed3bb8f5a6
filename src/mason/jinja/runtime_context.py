"""The compile- and run-time Jinja context: refs resolve to relations, `adapter` talks to the warehouse."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mason import DBT_COMPAT_VERSION
from mason.adapters.base import AdapterResponse
from mason.adapters.relation import Relation, relation_factory
from mason.adapters.table import Table
from mason.errors import CompileError
from mason.jinja.adapter_api import Api, JinjaAdapter
from mason.jinja.base_context import VarLookup, base_functions, make_env_var
from mason.jinja.macros import MacroIndex, MacroRuntime
from mason.jinja.relations import jinja_relation_factory
from mason.jinja.result_table import ResultTable
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node


class RuntimeConfig:
    """`config` when compiling: calls are no-ops; `.get`/`.require` read the node's final config."""

    def __init__(self, config: dict[str, Any], node_id: str) -> None:
        self._config = config
        self._node_id = node_id

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def get(self, key: str, default: Any = None, validator: Any = None) -> Any:
        value = self._config.get(key)
        if value is None and key in ("pre_hook", "post_hook"):
            value = self._config.get(key.replace("_", "-"))
        return default if value is None else value

    def require(self, key: str, validator: Any = None) -> Any:
        if self._config.get(key) is None:
            raise CompileError(f"{self._node_id}: required config {key!r} was not set",
                               hint=f"set {key} in config() or the properties YAML")
        return self._config[key]

    def set(self, key: str, value: Any) -> str:
        return ""

    def meta_get(self, key: str, default: Any = None) -> Any:
        return (self._config.get("meta") or {}).get(key, default)

    def meta_require(self, key: str) -> Any:
        meta = self._config.get("meta") or {}
        if key not in meta:
            raise CompileError(f"{self._node_id}: required meta key {key!r} was not set")
        return meta[key]

    def persist_relation_docs(self) -> bool:
        return bool((self._config.get("persist_docs") or {}).get("relation"))

    def persist_column_docs(self) -> bool:
        return bool((self._config.get("persist_docs") or {}).get("columns"))


@dataclass
class StatementResults:
    """`statement(name, fetch_result=True)` results for `load_result(name)`."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def store(self, name: str, response: Any, table: Table | None) -> None:
        table = ResultTable.of(table)
        self.results[name] = {"response": response, "data": [tuple(r) for r in table.rows], "table": table}

    def load(self, name: str) -> dict[str, Any] | None:
        return self.results.get(name)


class ContextFactory:
    """Builds the runtime context for one node (or a hook, or an operation)."""

    def __init__(self, *, manifest: Manifest, index: MacroIndex, target: dict[str, Any], cli_vars: dict[str, Any],
                 root_vars: dict[str, Any], package_vars: dict[str, dict[str, Any]], env: dict[str, str],
                 flags: Any, invocation_id: str, run_started_at: Any, quoting: dict[str, Any],
                 adapter: Any = None, log: Callable[[str, bool], None] | None = None,
                 resolve_ref: Callable[[Node, tuple[Any, ...], dict[str, Any]], Relation] | None = None,
                 resolve_source: Callable[[Node | None, str, str], Relation] | None = None,
                 empty: bool = False) -> None:
        self.manifest = manifest
        self.index = index
        self.target = target
        self.cli_vars = cli_vars
        self.root_vars = root_vars
        self.package_vars = package_vars
        self.env = env
        self.flags = flags
        self.invocation_id = invocation_id
        self.run_started_at = run_started_at
        self.adapter = adapter
        self.quoting = dict(quoting or {})
        self.make_relation: Callable[..., Relation] = jinja_relation_factory(relation_factory(manifest.adapter_type, quoting))
        self._selected: tuple[str, ...] = ()
        self.invocation_args: dict[str, Any] = {}
        self._log = log or (lambda m, i: None)
        self.resolve_ref = resolve_ref
        self.resolve_source = resolve_source
        self._graph: dict[str, Any] | None = None
        self._graph_lock = threading.Lock()

    @property
    def selected_resources(self) -> tuple[str, ...]:
        """`selected_resources`: the unique ids the command selected (shared, immutable, by every render)."""
        return self._selected

    @selected_resources.setter
    def selected_resources(self, ids: Any) -> None:
        self._selected = tuple(ids)

    def graph(self) -> dict[str, Any]:
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None:
                    from mason.jinja.graph_context import graph_dict

                    self._graph = graph_dict(self.manifest, self.relation_name)
        return self._graph

    def relation_for(self, node: Node) -> Relation:
        rtype = "cte" if node.is_ephemeral else ("view" if node.materialized == "view" else "table")
        if node.is_ephemeral:
            return self.make_relation(None, None, f"__dbt__cte__{node.name}", "cte")
        return self.make_relation(node.database, node.schema, node.alias, rtype)

    def runtime(self, node: Node | None, extra: dict[str, Any] | None = None,
                statements: StatementResults | None = None) -> MacroRuntime:
        package = node.package_name if node else self.manifest.project_name
        base = base_functions(self._log)
        statements = statements or StatementResults()
        own_vars = self.package_vars.get(package)
        config = dict(node.config) if node else {}
        this = self.relation_for(node) if node is not None and node.resource_type != "test" else None
        if node is not None and node.resource_type == "test":
            this = self.make_relation(node.database, node.schema, node.alias, "table")

        def ref(*args: Any, **kwargs: Any) -> Relation:
            if self.resolve_ref is None or node is None:
                name = str(args[-1]) if args else ""
                return self.make_relation(self.target.get("database"), self.target.get("schema"), name)
            return self.resolve_ref(node, args, kwargs)

        def source(source_name: str, table_name: str) -> Relation:
            if self.resolve_source is None:
                return self.make_relation(None, source_name, table_name)
            return self.resolve_source(node, source_name, table_name)

        def is_incremental() -> bool:
            if node is None or node.materialized != "incremental" or self.adapter is None:
                return False
            if _full_refresh(self.flags, config):
                return False
            rel = self.adapter.get_relation(node.database, node.schema or "", node.alias or "")
            return rel is not None and rel.type == "table"

        def should_full_refresh() -> bool:
            return _full_refresh(self.flags, config)

        def run_query(sql: str) -> Table | None:
            if self.adapter is None:
                return None
            _, table = self.adapter.execute(str(sql), fetch=True)
            return ResultTable.of(table)

        def statement(name: str | None = None, fetch_result: bool = False, auto_begin: bool = True,
                      language: str = "sql", caller: Any = None) -> str:
            sql = caller() if caller is not None else ""
            if self.adapter is None:
                return ""
            response, table = self.adapter.execute(str(sql), fetch=fetch_result)
            if name is not None:
                statements.store(name, response, table)
            return ""

        def store_result(name: str, response: Any, agate_table: Any = None) -> str:
            statements.store(name, response, agate_table)
            return ""

        def store_raw_result(name: str, message: str = "OK", code: str = "OK", rows_affected: int = -1,
                             agate_table: Any = None) -> str:
            statements.store(name, AdapterResponse(str(message), str(code), int(rows_affected)), agate_table)
            return ""

        base.update(
            ref=ref,
            source=source,
            config=RuntimeConfig(config, node.unique_id if node else "operation"),
            var=VarLookup(self.cli_vars, self.root_vars, self.manifest.project_name, package, own_vars),
            env_var=make_env_var(self.env, allow_secrets=False),
            target=self.target,
            execute=True,
            project_name=self.manifest.project_name,
            model=self.model_dict(node, config),
            this=this,
            database=node.database if node else self.target.get("database"),
            schema=node.schema if node else self.target.get("schema"),
            is_incremental=is_incremental,
            should_full_refresh=should_full_refresh,
            flags=self.flags,
            invocation_id=self.invocation_id,
            run_started_at=self.run_started_at,
            dbt_version=DBT_COMPAT_VERSION,
            run_query=run_query,
            statement=statement,
            load_result=statements.load,
            store_result=store_result,
            store_raw_result=store_raw_result,
            selected_resources=self._selected,
            invocation_args_dict=dict(self.invocation_args),
            dbt_metadata_envs={k[len("DBT_ENV_CUSTOM_ENV_"):]: v for k, v in self.env.items()
                               if k.startswith("DBT_ENV_CUSTOM_ENV_")},
            sql_now="now()",
            doc=lambda *a: "",
            metric=lambda *a, **k: None,
            function=lambda *a, **k: "",
            thread_id=threading.current_thread().name,
        )
        base["graph"] = _LazyGraph(self.graph)
        if extra:
            base.update(extra)
        base["builtins"] = dict(base)
        for name in self.index.masked_builtins(package):
            del base[name]
        runtime = MacroRuntime(self.index, base)

        def render(text: Any) -> str:
            return runtime.render(str(text), f"<render:{node.unique_id if node else 'operation'}>", package)

        base["render"] = render
        base["adapter"] = JinjaAdapter(self.adapter, runtime, self.make_relation, self.quoting)
        base["api"] = Api(self.make_relation)
        base["context_macro_stack"] = runtime.stack
        return runtime

    def model_dict(self, node: Node | None, config: dict[str, Any]) -> dict[str, Any]:
        """`model`: the node as manifest.json shows it (config as resolved for this node)."""
        if node is None:
            return {}
        from mason.nodes.dicts import node_dict

        out = node_dict(node, self.relation_name(node))
        out["config"] = config
        out["raw_sql"] = node.raw_code
        return out

    def relation_name(self, node: Node) -> str | None:
        if node.resource_type not in ("model", "seed", "snapshot") or node.is_ephemeral:
            return None
        return self.relation_for(node).render()


class _LazyGraph(dict[str, Any]):
    """`graph` built on first use: most renders never touch it."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self._build = build
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self.update(self._build())
            self._loaded = True

    def __getitem__(self, key: str) -> Any:
        self._load()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._load()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def __getattr__(self, key: str) -> Any:
        self._load()
        try:
            return super().__getitem__(key)
        except KeyError as exc:
            raise AttributeError(key) from exc

    def items(self):  # type: ignore[no-untyped-def]
        self._load()
        return super().items()

    def values(self):  # type: ignore[no-untyped-def]
        self._load()
        return super().values()

    def keys(self):  # type: ignore[no-untyped-def]
        self._load()
        return super().keys()


def _full_refresh(flags: Any, config: dict[str, Any]) -> bool:
    if config.get("full_refresh") is not None:
        return bool(config["full_refresh"])
    return bool(getattr(flags, "FULL_REFRESH", False))
