"""The parse-time Jinja context: ref/source/config record what a file uses; nothing touches a warehouse."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mason import DBT_COMPAT_VERSION
from mason.adapters.relation import Relation, quote_character, quotes_by_default
from mason.jinja.adapter_api import Api
from mason.jinja.base_context import VarLookup, base_functions, make_env_var
from mason.jinja.columns import Column
from mason.jinja.dispatch import dispatch
from mason.jinja.macros import MacroIndex, MacroRuntime
from mason.jinja.relations import RelationApi
from mason.nodes.nodes import Macro


@dataclass(slots=True)
class Recorder:
    refs: list[tuple[str, str | None, Any]] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)


class ParseConfig:
    """`config` at parse time: calling it records; `.get` answers from what is known so far."""

    def __init__(self, recorder: Recorder, known: Mapping[str, Any]) -> None:
        self._recorder = recorder
        self._known = known

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if args and isinstance(args[0], dict):
            kwargs = {**args[0], **kwargs}
        self._recorder.configs.append(kwargs)
        return ""

    def get(self, key: str, default: Any = None, validator: Any = None) -> Any:
        for cfg in reversed(self._recorder.configs):
            if key in cfg:
                return cfg[key]
        return self._known.get(key, default)

    def require(self, key: str, validator: Any = None) -> Any:
        return self.get(key)

    def set(self, key: str, value: Any) -> str:
        self._recorder.configs.append({key: value})
        return ""

    def meta_get(self, key: str, default: Any = None) -> Any:
        meta = self.get("meta") or {}
        return meta.get(key, default)

    def meta_require(self, key: str) -> Any:
        return self.meta_get(key)

    def persist_relation_docs(self) -> bool:
        return False

    def persist_column_docs(self) -> bool:
        return False


class ParseAdapter:
    """`adapter` during parsing: dispatch works; everything that would query returns nothing."""

    def __init__(self, runtime: MacroRuntime, adapter_type: str, make_relation: Callable[..., Relation]) -> None:
        self._runtime = runtime
        self._type = adapter_type
        self._make_relation = make_relation

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        return dispatch(self._runtime, macro_name, macro_namespace, packages)

    def type(self) -> str:
        return self._type

    def quote(self, identifier: str) -> str:
        q = quote_character(self._type)
        return f"{q}{identifier}{q}"

    def quote_as_configured(self, identifier: str, quote_key: str) -> str:
        return self.quote(identifier) if quotes_by_default(self._type) else str(identifier)

    def quote_seed_column(self, column: str, quote_config: bool | None) -> str:
        return str(column) if quote_config is False else self.quote(column)

    @property
    def Relation(self) -> RelationApi:  # noqa: N802 - dbt's name
        return RelationApi(self._make_relation)

    @property
    def Column(self) -> Any:  # noqa: N802
        return Column

    def __getattr__(self, name: str) -> Any:
        # Nothing is introspected while parsing: lists are empty, lookups find nothing.
        empty = name.startswith(("get_columns", "list_", "get_missing")) or name == "get_column_schema_from_query"

        def noop(*args: Any, **kwargs: Any) -> Any:
            return [] if empty else None

        return noop


def parse_context(*, index: MacroIndex, package: str, root_package: str, target: dict[str, Any],
                  cli_vars: Mapping[str, Any], root_vars: Mapping[str, Any], package_vars: Mapping[str, Any] | None,
                  env: Mapping[str, str], make_relation: Callable[..., Relation], recorder: Recorder,
                  known_config: Mapping[str, Any], node_info: dict[str, Any], flags: Any,
                  extra: Mapping[str, Any] | None = None, env_used: dict[str, str] | None = None,
                  invocation_id: str = "", run_started_at: Any = None) -> MacroRuntime:
    base = base_functions(lambda m, i: None)
    db = target.get("database")
    schema = target.get("schema")

    def ref(*args: Any, version: Any = None, v: Any = None, **kwargs: Any) -> Relation:
        version = version if version is not None else v
        if len(args) == 1:
            recorder.refs.append((str(args[0]), None, version))
            return make_relation(db, schema, str(args[0]))
        if len(args) == 2:
            recorder.refs.append((str(args[1]), str(args[0]), version))
            return make_relation(db, schema, str(args[1]))
        return make_relation(db, schema, "__unknown__")

    def source(source_name: str, table_name: str) -> Relation:
        recorder.sources.append((str(source_name), str(table_name)))
        return make_relation(db, schema, str(table_name))

    def on_macro(macro: Macro) -> None:
        recorder.macros.append(macro.unique_id)

    base.update(
        ref=ref,
        source=source,
        config=ParseConfig(recorder, known_config),
        var=VarLookup(cli_vars, root_vars, root_package, package, package_vars),
        env_var=make_env_var(env, env_used, allow_secrets=False),
        target=target,
        execute=False,
        project_name=root_package,
        model=node_info,
        this=make_relation(db, schema, node_info.get("name", "")),
        is_incremental=_recording("macro.dbt.is_incremental", recorder, False),
        should_full_refresh=lambda: False,
        flags=flags,
        graph={},
        selected_resources=[],
        run_query=lambda sql: None,
        load_result=lambda name: None,
        statement=_noop_statement,
        doc=lambda *a: "",
        metric=lambda *a, **k: None,
        function=lambda *a, **k: "",
        sql_now="now()",
        dbt_version=DBT_COMPAT_VERSION,
        invocation_id=invocation_id,
        run_started_at=run_started_at or datetime.datetime.now(datetime.UTC),
        store_result=lambda *a, **k: "",
        store_raw_result=lambda *a, **k: "",
        render=lambda text: str(text),
        thread_id="MainThread",
        invocation_args_dict={},
        dbt_metadata_envs={},
    )
    if extra:
        base.update(extra)
    runtime = MacroRuntime(index, base, on_macro)
    base["adapter"] = ParseAdapter(runtime, index.adapter_type, make_relation)
    base["api"] = Api(make_relation)
    base["builtins"] = dict(base)
    for name in index.masked_builtins(package):
        del base[name]
    return runtime


def _recording(macro_id: str, recorder: Recorder, value: Any) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        recorder.macros.append(macro_id)
        return value

    return call


def _noop_statement(*args: Any, caller: Any = None, **kwargs: Any) -> str:
    return ""


