"""The adapter seam: what Mason needs from a warehouse, and nothing more."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mason.adapters.relation import Relation
from mason.adapters.table import Table


@dataclass(frozen=True, slots=True)
class Capabilities:
    transactional_ddl: bool = True
    atomic_rename: bool = True
    merge: bool = True  # a native MERGE statement (without it, merge runs as delete+insert)
    # `create or replace table|view` swaps in a relation of any shape atomically; without it a rebuild creates
    # the new relation under a temporary name and swaps it in with renames, in one transaction
    create_or_replace_table: bool = False
    create_or_replace_view: bool = False
    schemas_have_databases: bool = True
    incremental_strategies: tuple[str, ...] = ("append", "delete+insert", "merge")
    default_incremental_strategy: str = "delete+insert"
    max_identifier_length: int | None = None  # in bytes; longer temporary names are shortened
    indexes: bool = False  # the `indexes` config (PostgreSQL)
    grants: bool = False  # the `grants` config
    materialized_views: bool = False
    unlogged_tables: bool = False
    # How incremental SQL is spelled, as each dbt adapter spells it (incremental_predicates written for dbt
    # name its aliases): dbt-duckdb's delete+insert joins the new rows' table (target DBT_INCREMENTAL_TARGET,
    # unaliased for one key) and its MERGE inserts by column name; the others alias the target
    # DBT_INTERNAL_DEST and insert the table's columns.
    delete_insert_join: bool = False
    merge_insert_by_name: bool = False
    # Model contracts (adapters/contracts.py): the constraint types the warehouse enforces, those it accepts
    # in DDL without enforcing (any other is left out, with a warning), whether a foreign key may name the
    # target's database, and the generic type names `alias_types` translates. Defaults are dbt's base adapter's.
    constraints_enforced: tuple[str, ...] = ("not_null", "foreign_key")
    constraints_unenforced: tuple[str, ...] = ("unique", "primary_key")
    foreign_key_catalog: bool = True
    contract_type_aliases: tuple[tuple[str, str], ...] = (("string", "text"),)
    # data tests may share one statement (a UNION ALL of their queries, execute/test_batches.py)
    batch_tests: bool = False


@dataclass(frozen=True, slots=True)
class AdapterResponse:
    message: str = "OK"
    code: str = "OK"
    rows_affected: int = -1
    query_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"_message": self.message, "code": self.code, "rows_affected": self.rows_affected}

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class ColumnInfo:
    """api.Column as dbt exposes it."""

    name: str
    dtype: str
    char_size: int | None = None
    numeric_precision: int | None = None
    numeric_scale: int | None = None

    @property
    def column(self) -> str:
        return self.name

    @property
    def data_type(self) -> str:
        """The full type, size included (`character varying(32)`, `numeric(10,2)`), for DDL."""
        if "(" not in self.dtype:
            if self.char_size is not None and self.is_string():
                return f"{self.dtype}({self.char_size})"
            if self.numeric_precision is not None and self.is_numeric():
                return f"{self.dtype}({self.numeric_precision},{self.numeric_scale or 0})"
        return self.dtype

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'

    def is_string(self) -> bool:
        t = self.dtype.lower()
        return t.startswith(("varchar", "text", "char", "string", "character"))

    def is_number(self) -> bool:
        return self.is_integer() or self.is_float() or self.is_numeric()

    def is_integer(self) -> bool:
        return self.dtype.lower() in ("integer", "int", "bigint", "smallint", "tinyint", "hugeint", "int4", "int8",
                                      "int2", "ubigint", "uinteger")

    def is_float(self) -> bool:
        return self.dtype.lower() in ("double", "float", "real", "float4", "float8", "double precision")

    def is_numeric(self) -> bool:
        return self.dtype.lower().startswith(("decimal", "numeric"))

    def string_size(self) -> int:
        return self.char_size or 256

    def can_expand_to(self, other: ColumnInfo) -> bool:
        return self.is_string() and other.is_string() and self.string_size() < other.string_size()

    def __repr__(self) -> str:
        return f"<Column {self.name} ({self.dtype})>"


class QueryComments:
    """dbt's query-comment, per thread: mixed into adapters that keep a `threading.local` as `_local`."""

    _local: threading.local

    def set_query_comment(self, comment: str | None, append: bool = False) -> None:
        """A comment added to every statement this thread sends (dbt's query-comment)."""
        self._local.comment = (comment, append) if comment else None

    def _with_comment(self, sql: str) -> str:
        found = getattr(self._local, "comment", None)
        if not found:
            return sql
        comment, append = found
        text = "/* " + comment.replace("*/", "* /").replace("/*", "/ *") + " */"
        return f"{sql}\n{text}" if append else f"{text}\n{sql}"


class CachedRelations:
    """Relation lookups through the RelationCache: the adapter provides `list_relations` (which fills the
    cache one schema at a time), `_make` (its relation factory) and `cache`."""

    cache: RelationCache
    _make: Any

    def list_relations(self, database: str | None, schema: str) -> list[Relation]:
        raise NotImplementedError

    def make_relation(self, database: str | None, schema: str | None, identifier: str | None,
                      type: str | None = None) -> Relation:
        return self._make(database, schema, identifier, type)  # type: ignore[no-any-return]

    def get_relation(self, database: str | None, schema: str, identifier: str) -> Relation | None:
        entry = self.cache.get_schema(database, schema)
        if entry is None:  # not listed yet (listing a cached schema copies it: O(relations) per lookup)
            self.list_relations(database, schema)
            entry = self.cache.get_schema(database, schema) or {}
        return entry.get(identifier.lower())


class Adapter(Protocol):
    """What every adapter provides. Optional methods, looked up with getattr where a capability needs them:
    `set_query_comment(comment, append)`, `lookup_relation(relation)` (uncached, for warehouses whose
    rebuilds drop dependent views), `list_indexes(relation)` / `current_grants(relation)` (the `indexes` and
    `grants` capabilities), `copy_csv(table_sql, path, delimiter)` (PostgreSQL seeds),
    `catalog_query(database, schema)` (docs generate), `describe()` (connection fields for `mason debug`),
    `materializations` (kind -> builder, replacing the shared view/table/incremental builders), `load_seed(...)`
    (seeds loaded the warehouse's own way), `catalog_rows(database, schema)` (docs generate without SQL) and
    `diff_dialect()` (the table diff's spellings, adapters/diff_sql.py), `bulk_sql()` (rows written from Python
    into Mason's own tables, adapters/bulk.py), `contract_columns(sql)` (a query's
    columns with types spelt as contracts compare them; default `get_columns_in_query`) and `clone_sql(target,
    source, config)` (`mason clone`'s zero-copy clone, where the warehouse has one)."""

    type: str
    capabilities: Capabilities

    def execute(self, sql: str, fetch: bool = False, limit: int | None = None) -> tuple[AdapterResponse, Table | None]: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def get_relation(self, database: str | None, schema: str, identifier: str) -> Relation | None: ...
    def list_relations(self, database: str | None, schema: str) -> list[Relation]: ...
    def get_columns(self, relation: Relation) -> list[ColumnInfo]: ...
    def create_schema(self, database: str | None, schema: str) -> None: ...
    def drop_schema(self, database: str | None, schema: str) -> None: ...
    def drop_relation(self, relation: Relation) -> None: ...
    def rename_relation(self, from_relation: Relation, to_identifier: str) -> None: ...
    def make_relation(self, database: str | None, schema: str | None, identifier: str | None,
                      type: str | None = None) -> Relation: ...
    def quote(self, identifier: str) -> str: ...
    def server_version(self) -> str: ...
    def cancel(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class RelationCache:
    """Relations known to exist, per (database, schema), filled one schema at a time."""

    schemas: dict[tuple[str, str], dict[str, Relation]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    present: set[tuple[str, str]] = field(default_factory=set)  # schemas known to exist (created or seen)

    @staticmethod
    def key(database: str | None, schema: str) -> tuple[str, str]:
        return ((database or "").lower(), schema.lower())

    def get_schema(self, database: str | None, schema: str) -> dict[str, Relation] | None:
        return self.schemas.get(self.key(database, schema))

    def set_schema(self, database: str | None, schema: str, relations: Sequence[Relation]) -> None:
        with self.lock:
            self.schemas[self.key(database, schema)] = {(r.identifier or "").lower(): r for r in relations}

    def schema_exists(self, database: str | None, schema: str) -> bool:
        return self.key(database, schema) in self.present

    def schema_created(self, database: str | None, schema: str) -> None:
        with self.lock:
            self.present.add(self.key(database, schema))

    def schema_dropped(self, database: str | None, schema: str) -> None:
        with self.lock:
            self.schemas[self.key(database, schema)] = {}
            self.present.discard(self.key(database, schema))

    def add(self, relation: Relation) -> None:
        with self.lock:
            entry = self.schemas.get(self.key(relation.database, relation.schema or ""))
            if entry is not None:
                entry[(relation.identifier or "").lower()] = relation

    def drop(self, relation: Relation) -> None:
        with self.lock:
            entry = self.schemas.get(self.key(relation.database, relation.schema or ""))
            if entry is not None:
                entry.pop((relation.identifier or "").lower(), None)

    def rename(self, relation: Relation, new_identifier: str) -> None:
        with self.lock:
            entry = self.schemas.get(self.key(relation.database, relation.schema or ""))
            if entry is not None:
                old = entry.pop((relation.identifier or "").lower(), None)
                if old is not None:
                    entry[new_identifier.lower()] = old.incorporate(path={"identifier": new_identifier})

    def clear(self) -> None:
        with self.lock:
            self.schemas.clear()
            self.present.clear()
