"""`adapter` and `api` in Jinja at compile and run time: dbt's adapter methods over Mason's adapter.

Relations handed to Jinja are `JinjaRelation`s and columns are `api.Column`s, whatever the adapter returns.
Without a connection (compiling offline) introspection answers "nothing there" rather than failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mason.adapters.relation import Relation, quotes_by_default
from mason.errors import CompileError
from mason.jinja.columns import Column
from mason.jinja.dispatch import dispatch
from mason.jinja.macros import MacroRuntime
from mason.jinja.relations import JinjaRelation, RelationApi, as_jinja
from mason.jinja.result_table import ResultTable

_STRATEGY_ALIASES = {"delete+insert": "delete_insert"}


class JinjaAdapter:
    """`adapter` in Jinja at run time."""

    def __init__(self, adapter: Any, runtime: MacroRuntime, make_relation: Callable[..., Relation],
                 quoting: Mapping[str, Any] | None = None) -> None:
        self._adapter = adapter
        self._runtime = runtime
        self._make = make_relation
        self._quoting = dict(quoting or {})
        self.Relation = RelationApi(make_relation)
        self.Column = Column

    # -- macros
    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        return dispatch(self._runtime, macro_name, macro_namespace, packages)

    def type(self) -> str:
        return self._adapter.type if self._adapter is not None else self._runtime.index.adapter_type

    def _need(self) -> Any:
        if self._adapter is None:
            raise CompileError("this macro needs a database connection, but none is open here",
                               hint="run it with `mason run`/`build`/`run-operation`, which connect to the target")
        return self._adapter

    # -- relations
    def get_relation(self, database: str | None, schema: str, identifier: str) -> JinjaRelation | None:
        if self._adapter is None or not schema or not identifier:
            return None
        return as_jinja(self._adapter.get_relation(database, str(schema), str(identifier)))

    def load_relation(self, relation: Relation) -> JinjaRelation | None:
        relation = _relation(relation, "load_relation")
        return self.get_relation(relation.database, relation.schema or "", relation.identifier or "")

    def already_exists(self, schema: str, name: str) -> bool:
        return self.get_relation(None, schema, name) is not None

    def list_relations(self, database: str | None, schema: str) -> list[JinjaRelation]:
        if self._adapter is None:
            return []
        return [r for r in (as_jinja(x) for x in self._adapter.list_relations(database, schema)) if r is not None]

    def list_relations_without_caching(self, schema_relation: Relation) -> list[JinjaRelation]:
        schema_relation = _relation(schema_relation, "list_relations_without_caching")
        adapter = self._need()
        adapter.cache.schemas.pop(adapter.cache.key(schema_relation.database, schema_relation.schema or ""), None)
        return self.list_relations(schema_relation.database, schema_relation.schema or "")

    def _existing(self, relation: Relation) -> Relation | None:
        """The relation with its real type, when the caller did not know it (looked up afresh if the
        cache does not know it: raw SQL in a macro may have created it)."""
        if relation.type is not None or not relation.schema:
            return relation
        found = self.get_relation(relation.database, relation.schema, relation.identifier or "")
        if found is None and self._adapter is not None:
            cache = self._adapter.cache
            cache.schemas.pop(cache.key(relation.database, relation.schema), None)
            found = self.get_relation(relation.database, relation.schema, relation.identifier or "")
        return found

    def drop_relation(self, relation: Relation) -> str:
        relation = _relation(relation, "drop_relation")
        found = self._existing(relation)
        if found is not None:
            self._need().drop_relation(found)
        return ""

    def rename_relation(self, from_relation: Relation, to_relation: Relation) -> str:
        from_relation, to_relation = _relation(from_relation, "rename_relation"), _relation(to_relation, "rename_relation")
        if (to_relation.schema or from_relation.schema or "").lower() != (from_relation.schema or "").lower():
            raise CompileError(f"cannot rename {from_relation.render()} to {to_relation.render()}: a rename stays "
                               "in its schema", hint="create the relation in the other schema instead")
        found = self._existing(from_relation)
        if found is None:
            raise CompileError(f"cannot rename {from_relation.render()}: it does not exist")
        self._need().rename_relation(found, to_relation.identifier or "")
        return ""

    def truncate_relation(self, relation: Relation) -> str:
        relation = _relation(relation, "truncate_relation")
        self._need().execute(f"delete from {relation.render()}")
        return ""

    # -- schemas
    def create_schema(self, relation: Relation) -> str:
        relation = _relation(relation, "create_schema")
        self._need().create_schema(relation.database, relation.schema or "")
        return ""

    def drop_schema(self, relation: Relation) -> str:
        relation = _relation(relation, "drop_schema")
        self._need().drop_schema(relation.database, relation.schema or "")
        return ""

    def check_schema_exists(self, database: str | None, schema: str) -> bool:
        adapter = self._need()
        db = f" and lower(catalog_name) = lower('{_escape(database)}')" if database else ""
        _, table = adapter.execute(
            "select count(*) from information_schema.schemata "
            f"where lower(schema_name) = lower('{_escape(schema)}'){db}", fetch=True)
        return bool(table and table.rows[0][0])

    def list_schemas(self, database: str | None) -> list[str]:
        adapter = self._need()
        db = f" where lower(catalog_name) = lower('{_escape(database)}')" if database else ""
        _, table = adapter.execute(f"select distinct schema_name from information_schema.schemata{db}", fetch=True)
        return [str(r[0]) for r in (table.rows if table else ())]

    # -- columns
    def get_columns_in_relation(self, relation: Relation) -> list[Column]:
        relation = _relation(relation, "get_columns_in_relation")
        if self._adapter is None:
            return []
        return [Column.from_info(c) for c in self._adapter.get_columns(relation)]

    def get_columns_in_table(self, schema: str, identifier: str) -> list[Column]:
        return self.get_columns_in_relation(self._make(None, schema, identifier))

    def get_column_schema_from_query(self, sql: str) -> list[Column]:
        """The columns a query would return (name and type), without running it for its rows."""
        adapter = self._need()
        if hasattr(adapter, "get_columns_in_query"):
            return [Column.from_info(c) for c in adapter.get_columns_in_query(str(sql))]
        _, table = adapter.execute(f"select * from (\n{sql}\n) as __mason_columns where false limit 0", fetch=True)
        names = table.column_names if table is not None else ()
        types = list(table.column_types) if table is not None and table.column_types else []
        return [Column(n, types[i] if i < len(types) else "text") for i, n in enumerate(names)]

    def get_missing_columns(self, from_relation: Relation, to_relation: Relation) -> list[Column]:
        """Columns of `from_relation` that `to_relation` lacks (by name, case-insensitively)."""
        from_relation, to_relation = _relation(from_relation, "get_missing_columns"), _relation(to_relation, "get_missing_columns")
        target = {c.name.lower() for c in self.get_columns_in_relation(to_relation)}
        return [c for c in self.get_columns_in_relation(from_relation) if c.name.lower() not in target]

    def expand_target_column_types(self, from_relation: Relation, to_relation: Relation) -> str:
        """Widen string columns of `to_relation` that are narrower than the same column in `from_relation`."""
        from_relation, to_relation = _relation(from_relation, "expand_target_column_types"), _relation(to_relation, "expand_target_column_types")
        source = {c.name.lower(): c for c in self.get_columns_in_relation(from_relation)}
        for col in self.get_columns_in_relation(to_relation):
            wider = source.get(col.name.lower())
            if wider is not None and col.can_expand_to(wider):
                self._need().execute(f"alter table {to_relation.render()} alter column {self.quote(col.name)} "
                                     f"type {Column.string_type(wider.string_size())}")
        return ""

    # -- quoting
    def quote(self, identifier: str) -> str:
        if self._adapter is None:
            return '"' + str(identifier).replace('"', '""') + '"'
        return str(self._adapter.quote(str(identifier)))

    def quote_as_configured(self, identifier: str, quote_key: str) -> str:
        default = quotes_by_default(self.type())
        return self.quote(identifier) if self._quoting.get(quote_key, default) else str(identifier)

    def quote_seed_column(self, column: str, quote_config: bool | None) -> str:
        return str(column) if quote_config is False else self.quote(column)

    # -- statements and transactions
    def execute(self, sql: str, auto_begin: bool = False, fetch: bool = False, limit: int | None = None) -> Any:
        adapter = self._need()
        if auto_begin:
            adapter.begin()
        response, table = adapter.execute(str(sql), fetch=fetch, limit=limit)
        return response, ResultTable.of(table)

    def commit(self) -> str:
        if self._adapter is not None:
            self._adapter.commit()
        return ""

    def commit_if_has_connection(self) -> str:
        return self.commit()

    # -- relation cache
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

    # -- helpers the built-in macros of dbt call on the adapter
    def get_incremental_strategy_macro(self, model_context: Any, strategy: str) -> Any:
        strategy = str(strategy or "default")
        name = f"get_incremental_{_STRATEGY_ALIASES.get(strategy, strategy)}_sql"
        found = model_context.get(name) if hasattr(model_context, "get") else None
        if found is None:
            macro = self._runtime.index.find(name, self._runtime.index.root_package)
            found = self._runtime.bind(macro) if macro is not None else None
        if found is None:
            raise CompileError(f"incremental strategy {strategy!r} has no macro {name!r}",
                               hint=f"define a macro named {name}(arg_dict), or use append, delete+insert or merge")
        return found

    def get_hard_deletes_behavior(self, config: Any) -> str:
        from mason.project.configs import hard_deletes_mode

        get = config.get if hasattr(config, "get") else (lambda k, d=None: d)
        return hard_deletes_mode(get("hard_deletes", None), get("invalidate_hard_deletes", None))

    def valid_snapshot_target(self, relation: Relation, column_names: Any = None) -> str:
        return ""

    def standardize_grants_dict(self, grants_table: Any) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in getattr(grants_table, "rows", grants_table or []):
            grantee, privilege = row["grantee"], row["privilege_type"]
            out.setdefault(str(privilege).lower(), []).append(str(grantee))
        return out

    def _raw_contract(self, raw_columns: Mapping[str, Any] | None, raw_constraints: Any) -> Any:
        from mason.adapters.contracts import Contract, ContractColumn, normalized

        columns = [ContractColumn(str(col.get("name") or name), str(col.get("data_type") or ""), bool(col.get("quote")),
                                  [normalized(c) for c in col.get("constraints") or [] if isinstance(c, Mapping)])
                   for name, col in (raw_columns or {}).items()]
        constraints = [normalized(c, True) for c in raw_constraints or [] if isinstance(c, Mapping)]
        return Contract("", columns, constraints)

    def render_raw_columns_constraints(self, raw_columns: Mapping[str, Any]) -> list[str]:
        """`name type constraint ...` per column, the constraints the warehouse supports (adapters/contracts.py)."""
        return list(self._raw_contract(raw_columns, []).ddl_lines(self._need(), model_level=False))

    def render_raw_model_constraints(self, raw_constraints: Any) -> list[str]:
        return list(self._raw_contract({}, raw_constraints).ddl_lines(self._need()))

    def verify_database(self, database: str) -> str:
        return ""


def _relation(value: Any, method: str) -> Relation:
    """The relation argument of an adapter method, or an error saying what was passed instead."""
    if isinstance(value, Relation):
        return value
    raise CompileError(f"adapter.{method} needs a relation (from ref(), source(), this or api.Relation.create()), "
                       f"but got {type(value).__name__} {str(value)[:80]!r}",
                       hint="pass the relation object itself, not its name as text")


def _escape(value: Any) -> str:
    return str(value).replace("'", "''")


class Api:
    """`api` in Jinja."""

    def __init__(self, make_relation: Callable[..., Relation]) -> None:
        self.Relation = RelationApi(make_relation)
        self.Column = Column
