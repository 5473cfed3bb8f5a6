"""The compile- and run-time Jinja context: refs resolve to relations, `adapter` talks to the warehouse."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mason.adapters.base import ColumnInfo
from mason.adapters.relation import Relation, relation_factory
from mason.adapters.table import Table
from mason.errors import CompileError
from mason.jinja.base_context import VarLookup, base_functions, make_env_var
from mason.jinja.dispatch import dispatch
from mason.jinja.macros import MacroIndex, MacroRuntime
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
        self.results[name] = {"response": response, "data": [tuple(r) for r in table.rows] if table else [],
                              "table": table}

    def load(self, name: str) -> dict[str, Any] | None:
        return self.results.get(name)


class JinjaAdapter:
    """`adapter` in Jinja at run time."""

    def __init__(self, adapter: Any, runtime: MacroRuntime, make_relation: Callable[..., Relation]) -> None:
        self._adapter = adapter
        self._runtime = runtime
        self._make = make_relation
        self.Relation = _RelationApi(make_relation)

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        return dispatch(self._runtime, macro_name, macro_namespace, packages)

    def type(self) -> str:
        return self._adapter.type if self._adapter is not None else self._runtime.index.adapter_type

    def _need(self) -> Any:
        if self._adapter is None:
            raise CompileError("this macro needs a database connection, but none is open here")
        return self._adapter

    def get_relation(self, database: str | None, schema: str, identifier: str) -> Relation | None:
        if self._adapter is None:
            return None
        return self._adapter.get_relation(database, schema, identifier)

    def load_relation(self, relation: Relation) -> Relation | None:
        return self.get_relation(relation.database, relation.schema or "", relation.identifier or "")

    def get_columns_in_relation(self, relation: Relation) -> list[ColumnInfo]:
        if self._adapter is None:
            return []
        return list(self._adapter.get_columns(relation))

    def list_relations_without_caching(self, schema_relation: Relation) -> list[Relation]:
        adapter = self._need()
        adapter.cache.schemas.pop(adapter.cache.key(schema_relation.database, schema_relation.schema or ""), None)
        return list(adapter.list_relations(schema_relation.database, schema_relation.schema or ""))

    def quote(self, identifier: str) -> str:
        if self._adapter is None:
            return f'"{identifier}"'
        return str(self._adapter.quote(identifier))

    def quote_as_configured(self, identifier: str, quote_key: str) -> str:
        return self.quote(identifier)

    def quote_seed_column(self, column: str, quote_config: bool | None) -> str:
        return self.quote(column) if quote_config else column

    def create_schema(self, relation: Relation) -> str:
        self._need().create_schema(relation.database, relation.schema or "")
        return ""

    def drop_schema(self, relation: Relation) -> str:
        self._need().drop_schema(relation.database, relation.schema or "")
        return ""

    def check_schema_exists(self, database: str | None, schema: str) -> bool:
        adapter = self._need()
        _, table = adapter.execute(
            f"select count(*) from information_schema.schemata where lower(schema_name) = lower('{schema}')",
            fetch=True)
        return bool(table and table.rows[0][0])

    def drop_relation(self, relation: Relation) -> str:
        self._need().drop_relation(relation)
        return ""

    def rename_relation(self, from_relation: Relation, to_relation: Relation) -> str:
        self._need().rename_relation(from_relation, to_relation.identifier or "")
        return ""

    def truncate_relation(self, relation: Relation) -> str:
        self._need().execute(f"delete from {relation.render()}")
        return ""

    def get_missing_columns(self, from_relation: Relation, to_relation: Relation) -> list[ColumnInfo]:
        target = {c.name.lower() for c in self.get_columns_in_relation(to_relation)}
        return [c for c in self.get_columns_in_relation(from_relation) if c.name.lower() not in target]

    def expand_target_column_types(self, from_relation: Relation, to_relation: Relation) -> str:
        return ""

    def execute(self, sql: str, auto_begin: bool = False, fetch: bool = False, limit: int | None = None) -> Any:
        return self._need().execute(sql, fetch=fetch, limit=limit)

    def commit(self) -> str:
        if self._adapter is not None:
            self._adapter.commit()
        return ""

    def cache_added(self, relation: Relation) -> str:
        if self._adapter is not None:
            self._adapter.cache.add(relation)
        return ""

    def cache_dropped(self, relation: Relation) -> str:
        if self._adapter is not None:
            self._adapter.cache.drop(relation)
        return ""

    def cache_renamed(self, from_relation: Relation, to_relation: Relation) -> str:
        if self._adapter is not None:
            self._adapter.cache.rename(from_relation, to_relation.identifier or "")
        return ""

    def already_exists(self, schema: str, name: str) -> bool:
        return self.get_relation(None, schema, name) is not None

    def get_columns_in_table(self, schema: str, identifier: str) -> list[ColumnInfo]:
        return self.get_columns_in_relation(self._make(None, schema, identifier))


class _RelationApi:
    def __init__(self, make_relation: Callable[..., Relation]) -> None:
        self._make = make_relation

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **kwargs: Any) -> Relation:
        return self._make(database, schema, identifier, type, **kwargs)


class _ColumnApi:
    @staticmethod
    def create(name: str, label_or_dtype: str) -> ColumnInfo:
        return ColumnInfo(name, label_or_dtype)

    @staticmethod
    def string_type(size: int) -> str:
        return f"varchar({size})"

    @staticmethod
    def numeric_type(dtype: str, precision: Any, scale: Any) -> str:
        return f"{dtype}({precision},{scale})" if precision is not None else dtype


class _Api:
    def __init__(self, make_relation: Callable[..., Relation]) -> None:
        self.Relation = _RelationApi(make_relation)
        self.Column = _ColumnApi()


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
        self.make_relation = relation_factory(manifest.adapter_type, quoting)
        self._log = log or (lambda m, i: None)
        self.resolve_ref = resolve_ref
        self.resolve_source = resolve_source
        self._graph: dict[str, Any] | None = None
        self._graph_lock = threading.Lock()

    def graph(self) -> dict[str, Any]:
        if self._graph is None:
            with self._graph_lock:
                if self._graph is None:
                    from mason.jinja.graph_context import graph_dict

                    self._graph = graph_dict(self.manifest)
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
            return table

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

        def node_dict() -> dict[str, Any]:
            if node is None:
                return {}
            return {
                "unique_id": node.unique_id, "name": node.name, "resource_type": node.resource_type,
                "package_name": node.package_name, "fqn": list(node.fqn), "config": config,
                "alias": node.alias, "schema": node.schema, "database": node.database, "tags": list(node.tags),
                "original_file_path": node.original_file_path, "path": node.path, "raw_code": node.raw_code,
                "raw_sql": node.raw_code, "meta": node.meta, "description": node.description,
                "columns": {k: {"name": c.name, "description": c.description, "data_type": c.data_type,
                                "meta": c.meta, "tags": list(c.tags), "quote": c.quote}
                            for k, c in node.columns.items()},
                "version": node.version, "language": node.language,
                "depends_on": {"nodes": list(node.depends_on_nodes), "macros": list(node.depends_on_macros)},
                "refs": [{"name": r.name, "package": r.package, "version": r.version} for r in node.refs],
                "sources": [list(s) for s in node.sources],
            }

        base.update(
            ref=ref,
            source=source,
            config=RuntimeConfig(config, node.unique_id if node else "operation"),
            var=VarLookup(self.cli_vars, self.root_vars, self.manifest.project_name, package, own_vars),
            env_var=make_env_var(self.env, allow_secrets=False),
            target=self.target,
            execute=True,
            project_name=self.manifest.project_name,
            model=node_dict(),
            this=this,
            database=node.database if node else self.target.get("database"),
            schema=node.schema if node else self.target.get("schema"),
            is_incremental=is_incremental,
            should_full_refresh=should_full_refresh,
            flags=self.flags,
            invocation_id=self.invocation_id,
            run_started_at=self.run_started_at,
            dbt_version="1.11.0",
            run_query=run_query,
            statement=statement,
            load_result=statements.load,
            store_result=store_result,
            store_raw_result=lambda name, message="OK", code="OK", rows_affected=-1, agate_table=None: store_result(name, message, agate_table),
            selected_resources=[],
            sql_now="now()",
            doc=lambda *a: "",
            metric=lambda *a, **k: None,
            function=lambda *a, **k: "",
            thread_id=threading.current_thread().name,
        )
        base["graph"] = _LazyGraph(self.graph)
        if extra:
            base.update(extra)
        runtime = MacroRuntime(self.index, base)
        base["adapter"] = JinjaAdapter(self.adapter, runtime, self.make_relation)
        base["api"] = _Api(self.make_relation)
        return runtime


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
