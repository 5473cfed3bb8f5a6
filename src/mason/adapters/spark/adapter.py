"""The Apache Spark adapter: one SparkSession (in-process or Spark Connect) shared by the worker threads.

Spark has no transactions: `begin`/`commit`/`rollback` do nothing, and the materializations in
:mod:`mason.adapters.spark.materialize` build under temporary names before touching the previous relation.
The schema is the Spark database; relations come from ``SHOW TABLES`` / ``SHOW VIEWS``, columns from
``DESCRIBE TABLE``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.adapters.base import (
    AdapterResponse,
    CachedRelations,
    Capabilities,
    ColumnInfo,
    QueryComments,
    RelationCache,
)
from mason.adapters.relation import Relation, relation_factory
from mason.adapters.spark.connect import SparkSettings, first_line, open_session
from mason.adapters.table import Table
from mason.adapters.target import Target
from mason.errors import DatabaseError

CAPABILITIES = Capabilities(
    transactional_ddl=False, atomic_rename=False, merge=False,
    create_or_replace_table=False, create_or_replace_view=True,
    schemas_have_databases=False,
    incremental_strategies=("append", "insert_overwrite", "merge", "delete+insert", "microbatch"),
    default_incremental_strategy="append",
    # Spark keeps no constraints (delta's check and not null are added after the build: materialize.py)
    constraints_enforced=(),
    constraints_unenforced=("check", "not_null", "unique", "primary_key", "foreign_key"),
    contract_type_aliases=(),
)


@dataclass(slots=True)
class SparkColumn(ColumnInfo):
    """A column as Spark's DESCRIBE spells it (`int`, `string`, `decimal(10,2)`), quoted with backticks."""

    @property
    def quoted(self) -> str:
        return "`" + self.name.replace("`", "``") + "`"

    def is_string(self) -> bool:
        return self.dtype.lower().startswith(("string", "varchar", "char"))

    def is_integer(self) -> bool:
        return self.dtype.lower() in ("int", "integer", "bigint", "smallint", "tinyint", "long", "short", "byte")

    def is_float(self) -> bool:
        return self.dtype.lower() in ("double", "float", "real")


class SparkAdapter(QueryComments, CachedRelations):
    type = "spark"
    capabilities = CAPABILITIES

    def __init__(self, target: Target, project_root: Path | None = None, quoting: dict[str, Any] | None = None) -> None:
        self.target = target
        self.settings = SparkSettings.from_target(target)
        self.database = None
        self.spark = open_session(self.settings)
        self.remote = self.settings.method == "connect"
        self._local = threading.local()
        self._schema_lock = threading.Lock()
        self.cache = RelationCache()
        self._make = relation_factory("spark", quoting)

    # -- statements
    def execute(self, sql: str, fetch: bool = False, limit: int | None = None) -> tuple[AdapterResponse, Table | None]:
        statements = split_statements(sql)
        if not statements:
            return AdapterResponse("OK", "OK", -1), (Table([], []) if fetch else None)
        for stmt in statements[:-1]:
            self._run(stmt, False, None)
        return self._run(statements[-1], fetch, limit)

    def _run(self, sql: str, fetch: bool, limit: int | None) -> tuple[AdapterResponse, Table | None]:
        try:
            df = self.spark.sql(self._with_comment(sql))
            if not fetch:
                if _is_query(sql):  # a bare query (a hook's select): run it, as other warehouses would
                    df.limit(1).collect()
                return AdapterResponse("OK", "OK", -1), None
            if limit is not None and limit >= 0:
                df = df.limit(limit)
            rows = df.collect()
            names = list(df.columns)
            types = [f.dataType.simpleString() for f in df.schema.fields]
            return AdapterResponse("OK", "OK", len(rows)), Table(names, [tuple(r) for r in rows], types)
        except DatabaseError:
            raise
        except Exception as exc:
            if _is_interrupt(exc):
                raise DatabaseError("cancelled: the run was interrupted while this statement ran") from exc
            raise DatabaseError(error_text(exc)) from exc

    def begin(self) -> None:
        """Spark has no transactions."""

    def commit(self) -> None:
        """Spark has no transactions."""

    def rollback(self) -> None:
        """Spark has no transactions."""

    # -- relations
    def _check_database(self, database: str | None, schema: str) -> None:
        if database and database.lower() != schema.lower():
            raise DatabaseError(
                f"database {database!r} differs from schema {schema!r}: on Spark the schema is the database",
                hint="remove the database config of the model or source")

    def _schema_name(self, schema: str) -> str:
        return self.quote(schema)

    def list_relations(self, database: str | None, schema: str) -> list[Relation]:
        cached = self.cache.get_schema(database, schema)
        if cached is not None:
            return list(cached.values())
        try:
            _, tables = self.execute(f"show tables in {self._schema_name(schema)}", fetch=True)
            _, views = self.execute(f"show views in {self._schema_name(schema)}", fetch=True)
        except DatabaseError as exc:
            if "SCHEMA_NOT_FOUND" in str(exc) or "NoSuchNamespace" in str(exc) or "not found" in str(exc):
                self.cache.schema_dropped(database, schema)
                return []
            raise
        view_names = {str(r[1]).lower() for r in (views.rows if views else ()) if not r[2]}
        rels = [self._make(None, schema, str(r[1]), "view" if str(r[1]).lower() in view_names else "table")
                for r in (tables.rows if tables else ()) if not r[2]]  # temporary views left out
        self.cache.set_schema(database, schema, rels)
        return rels

    def describe_table(self, relation: Relation) -> tuple[list[SparkColumn], dict[str, str]]:
        """Columns (partition columns last, as Spark stores them) and the detail fields of DESCRIBE EXTENDED
        (Provider, Location, Type ...)."""
        _, table = self.execute(f"describe table extended {relation.render()}", fetch=True)
        columns: list[SparkColumn] = []
        details: dict[str, str] = {}
        section = "columns"
        for name, dtype, _comment in table.rows if table else ():
            name = str(name or "").strip()
            if not name:
                section = "after"
                continue
            if name.startswith("#"):
                section = "details" if "Detailed" in name else "other"
                continue
            if section == "columns":
                columns.append(SparkColumn(name, str(dtype)))
            elif section == "details":
                details[name] = str(dtype or "")
        return columns, details

    def get_columns(self, relation: Relation) -> list[ColumnInfo]:
        _, table = self.execute(f"describe table {relation.render()}", fetch=True)
        out: list[ColumnInfo] = []
        for name, dtype, _comment in table.rows if table else ():
            name = str(name or "").strip()
            if not name or name.startswith("#"):
                break
            out.append(SparkColumn(name, str(dtype)))
        return out

    def get_columns_in_query(self, sql: str) -> list[ColumnInfo]:
        _, table = self.execute(f"select * from (\n{sql}\n) as mason_probe limit 0", fetch=True)
        if table is None:
            return []
        return [SparkColumn(n, t) for n, t in zip(table.column_names, table.column_types)]

    def catalog_rows(self, database: str | None, schema: str) -> list[tuple[str, str, str, int, str]]:
        """docs generate: (relation, type, column, position, type) for every relation of a schema."""
        out: list[tuple[str, str, str, int, str]] = []
        for rel in sorted(self.list_relations(database, schema), key=lambda r: r.identifier or ""):
            kind = "VIEW" if rel.type == "view" else "BASE TABLE"
            for i, col in enumerate(self.get_columns(rel), start=1):
                out.append((rel.identifier or "", kind, col.name, i, col.dtype))
        return out

    def create_schema(self, database: str | None, schema: str) -> None:
        self._check_database(database, schema)
        with self._schema_lock:
            self.execute(f"create database if not exists {self._schema_name(schema)}")
        if self.cache.get_schema(database, schema) is None:
            self.list_relations(database, schema)

    def drop_schema(self, database: str | None, schema: str) -> None:
        self.execute(f"drop database if exists {self._schema_name(schema)} cascade")
        self.cache.schema_dropped(database, schema)

    def drop_relation(self, relation: Relation) -> None:
        kind = "view" if relation.type == "view" else "table"
        self.execute(f"drop {kind} if exists {relation.render()}")
        self.cache.drop(relation)

    def rename_relation(self, from_relation: Relation, to_identifier: str) -> None:
        kind = "view" if from_relation.type == "view" else "table"
        new = from_relation.incorporate(path={"identifier": to_identifier})
        self.execute(f"alter {kind} {from_relation.render()} rename to {new.render()}")
        self.cache.rename(from_relation, to_identifier)

    def deploy_dialect(self) -> Any:
        from mason.adapters.spark.deploy import SparkDeployDialect

        return SparkDeployDialect(self)

    def diff_dialect(self) -> Any:
        from mason.adapters.spark.diff import SparkDiffDialect

        return SparkDiffDialect(self)

    def bulk_sql(self) -> Any:
        """Rows written from Python (the run history): a DataFrame inserted by one statement."""
        from mason.adapters.spark.bulk import SparkBulkSQL

        return SparkBulkSQL(self)

    def snapshot_dialect(self) -> Any:
        from mason.adapters.spark.snapshots import dialect

        return dialect(self)

    def clone_sql(self, target: Relation, source: Relation, config: dict[str, Any]) -> str | None:
        """`mason clone`: a delta table is shallow-cloned (its files shared, none copied); anything else
        becomes a view of the source."""
        if str(config.get("file_format") or "").lower() != "delta" or config.get("materialized") == "view":
            return None
        return f"create or replace table {target.render()} shallow clone {source.render()}"

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def server_version(self) -> str:
        return f"Spark {self.spark.version}"

    def describe(self) -> list[tuple[str, str]]:
        return self.settings.describe()

    def load_seed(self, node: Any, relation: Relation, csv_path: Path, *, full_refresh: bool,
                  empty: bool = False) -> Any:
        from mason.adapters.spark.seeds import load_seed

        return load_seed(self, node, relation, csv_path, full_refresh=full_refresh, empty=empty)

    @property
    def materializations(self) -> dict[str, Any]:
        from mason.adapters.spark import materialize

        return materialize.MATERIALIZATIONS

    def microbatch_writer(self, run: Any, cfg: Any, fresh: bool) -> Any:
        """How microbatch batches are written here (partition overwrites, no transactions)."""
        from mason.adapters.spark.microbatch import SparkMicrobatch

        return SparkMicrobatch.open(run, cfg, fresh)

    def cancel(self) -> None:
        """Stop every running Spark job of this session (Ctrl-C, --fail-fast)."""
        try:
            self.spark.interruptAll()
            return
        except Exception:
            pass
        try:
            self.spark.sparkContext.cancelAllJobs()
        except Exception:
            pass

    def relation_stats(self, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
        """`mason advise`: identifier (lower case) -> {rows, bytes} for the tables of a schema."""
        from mason.adapters.spark.stats import relation_stats

        return relation_stats(self, database, schema)

    @property
    def layout_configs(self) -> tuple[str, ...]:
        """The configs that lay a table out (`mason advise` suggests one for large tables without any)."""
        from mason.adapters.spark.stats import LAYOUT_CONFIGS

        return LAYOUT_CONFIGS

    def close(self) -> None:
        spark, self.spark = self.spark, None
        if spark is None:
            return
        try:
            spark.stop()
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------ helpers
_QUERY_START = re.compile(r"^\s*(\(\s*)*(select|with|values|table|from)\b", re.IGNORECASE)
_PLAN_LINE = re.compile(r"^(\s*(\+-|:-)|'[A-Z][A-Za-z]+|== )")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _is_query(sql: str) -> bool:
    return bool(_QUERY_START.match(_COMMENTS.sub(" ", sql)))


def _is_interrupt(exc: Exception) -> bool:
    text = str(exc)
    return "OPERATION_CANCELED" in text or "cancelled because SparkContext was shut down" in text


def split_statements(sql: str) -> list[str]:
    """`sql` cut at top-level semicolons (quotes, backticks and comments respected), blanks dropped."""
    out: list[str] = []
    start = 0
    i = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"', "`"):
            j = i + 1
            while j < n and sql[j] != c:
                j += 2 if sql[j] == "\\" and c != "`" else 1
            i = j + 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    return [s.strip() for s in out if _COMMENTS.sub("", s).strip()]


def error_text(exc: BaseException) -> str:
    """Spark's message without the JVM stack trace or the query context block."""
    text = str(exc).strip()
    for marker in ("\n\nJVM stacktrace:", "\nJVM stacktrace:", "\n== SQL", "\n\tat "):
        cut = text.find(marker)
        if cut > 0:
            text = text[:cut]
    lines = []
    for line in text.splitlines():
        if _PLAN_LINE.match(line):  # the analyzed plan Spark appends: not for the user
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines[:6]) if lines else first_line(exc)
