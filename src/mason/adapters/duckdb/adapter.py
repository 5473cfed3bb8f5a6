"""The DuckDB adapter: one database handle, a cursor per worker thread, transactional DDL."""

from __future__ import annotations

import threading
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
from mason.adapters.table import Table
from mason.adapters.target import Target
from mason.errors import DatabaseError, ProjectError

_TYPES = {"BASE TABLE": "table", "VIEW": "view", "LOCAL TEMPORARY": "table"}


class DuckDBAdapter(QueryComments, CachedRelations):
    type = "duckdb"
    capabilities = Capabilities(
        transactional_ddl=True, atomic_rename=True, merge=True,
        create_or_replace_table=True, create_or_replace_view=True,
        incremental_strategies=("append", "delete+insert", "merge", "microbatch"),
        default_incremental_strategy="delete+insert",
        delete_insert_join=True, merge_insert_by_name=True,
        constraints_enforced=("check", "not_null", "unique", "primary_key", "foreign_key"),
        constraints_unenforced=(), foreign_key_catalog=False,
        batch_tests=True,
    )

    def __init__(self, target: Target, project_root: Path | None = None, quoting: dict[str, Any] | None = None) -> None:
        import duckdb

        self._duckdb = duckdb
        creds = target.credentials
        path = str(creds.get("path") or ":memory:")
        if path != ":memory:" and not path.startswith(("md:", "s3://", "http")) and project_root is not None:
            p = Path(path)
            if not p.is_absolute():
                p = Path.cwd() / p
            p.parent.mkdir(parents=True, exist_ok=True)
            path = str(p)
        config: dict[str, Any] = {}
        for key, value in (creds.get("config_options") or {}).items():
            config[key] = value
        try:
            self._conn = duckdb.connect(path, read_only=bool(creds.get("read_only", False)), config=config)
        except duckdb.Error as exc:
            raise ProjectError(f"could not open DuckDB database {path!r}: {exc}",
                               hint="check the path in profiles.yml and that no other process holds the file") from exc
        self.database = target.database
        self.target = target
        self._local = threading.local()
        self._schema_lock = threading.Lock()
        self._cursors: list[Any] = []
        self._cursor_lock = threading.Lock()
        self.cache = RelationCache()
        self._make = relation_factory("duckdb", quoting)
        try:
            self._setup(creds)
        except duckdb.Error as exc:
            self._conn.close()
            raise ProjectError(f"could not set up the DuckDB connection: {exc}",
                               hint="check extensions, settings and attach in profiles.yml") from exc

    def _setup(self, creds: dict[str, Any]) -> None:
        cur = self._conn
        for ext in creds.get("extensions") or []:
            name = ext if isinstance(ext, str) else ext.get("name")
            try:
                cur.execute(f"load {name}")
            except self._duckdb.Error:
                cur.execute(f"install {name}")
                cur.execute(f"load {name}")
        for key, value in (creds.get("settings") or {}).items():
            cur.execute(f"set {key} = {_literal(value)}")
        for att in creds.get("attach") or []:
            opts = []
            if att.get("type"):
                opts.append(f"type {att['type']}")
            if att.get("read_only"):
                opts.append("read_only")
            alias = f" as {att['alias']}" if att.get("alias") else ""
            opt_sql = f" ({', '.join(opts)})" if opts else ""
            cur.execute(f"attach if not exists '{att['path']}'{alias}{opt_sql}")
        if self.target.schema and self.target.schema != "main":
            cur.execute(f'create schema if not exists "{self.target.schema}"')

    # -- connections
    @property
    def cursor(self) -> Any:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._conn.cursor()
            self._local.cursor = cur
            self._local.in_txn = False
            with self._cursor_lock:
                self._cursors.append(cur)
        return cur

    def execute(self, sql: str, fetch: bool = False, limit: int | None = None) -> tuple[AdapterResponse, Table | None]:
        cur = self.cursor
        try:
            cur.execute(self._with_comment(sql))
            if fetch:
                names = [d[0] for d in cur.description or []]
                types = [str(d[1]) for d in cur.description or []]
                rows = cur.fetchmany(limit) if limit is not None and limit >= 0 else cur.fetchall()
                return AdapterResponse("OK", "OK", len(rows)), Table(names, rows, types)
            affected = -1
            if cur.description and len(cur.description) == 1 and cur.description[0][0] == "Count":
                row = cur.fetchone()
                affected = int(row[0]) if row and row[0] is not None else -1
            return AdapterResponse("OK", "OK", affected), None
        except self._duckdb.Error as exc:
            raise DatabaseError(_clean_message(str(exc))) from exc

    def begin(self) -> None:
        if not getattr(self._local, "in_txn", False):
            self.cursor.execute("begin transaction")
            self._local.in_txn = True

    def commit(self) -> None:
        if getattr(self._local, "in_txn", False):
            self._local.in_txn = False
            try:
                self.cursor.execute("commit")
            except self._duckdb.Error as exc:
                raise DatabaseError(_clean_message(str(exc))) from exc

    def rollback(self) -> None:
        if getattr(self._local, "in_txn", False):
            self._local.in_txn = False
            try:
                self.cursor.execute("rollback")
            except self._duckdb.Error:
                pass

    # -- relations
    def list_relations(self, database: str | None, schema: str) -> list[Relation]:
        cached = self.cache.get_schema(database, schema)
        if cached is not None:
            return list(cached.values())
        db = database or self.database
        _, table = self.execute(
            "select table_name, table_type from information_schema.tables "
            f"where lower(table_catalog) = lower({_literal(db)}) and lower(table_schema) = lower({_literal(schema)})",
            fetch=True,
        )
        rels = [self._make(db, schema, r[0], _TYPES.get(r[1], "table")) for r in (table.rows if table else ())]
        self.cache.set_schema(database, schema, rels)
        return rels

    def get_columns_in_query(self, sql: str) -> list[ColumnInfo]:
        _, table = self.execute(f"describe ({sql})", fetch=True)
        return [ColumnInfo(r[0], r[1]) for r in (table.rows if table else ())]

    def get_columns(self, relation: Relation) -> list[ColumnInfo]:
        if not relation.schema:  # a temporary table
            return self.get_columns_in_query(f"select * from {relation.render()}")
        _, table = self.execute(
            "select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
            "from information_schema.columns "
            f"where lower(table_catalog) = lower({_literal(relation.database or self.database)}) "
            f"and lower(table_schema) = lower({_literal(relation.schema)}) "
            f"and lower(table_name) = lower({_literal(relation.identifier)}) order by ordinal_position",
            fetch=True,
        )
        return [ColumnInfo(r[0], r[1], r[2], r[3], r[4]) for r in (table.rows if table else ())]

    def bulk_sql(self) -> Any:
        """Rows written from Python (the run history): one read_json insert (adapters/duckdb/bulk.py)."""
        from mason.adapters.duckdb.bulk import DuckDBBulkSQL

        return DuckDBBulkSQL(self)

    def create_schema(self, database: str | None, schema: str) -> None:
        rel = self._make(database or self.database, schema, None)
        with self._schema_lock:  # concurrent CREATE SCHEMA in two transactions conflicts in DuckDB
            self.execute(f"create schema if not exists {rel.include(identifier=False).render()}")

    def drop_schema(self, database: str | None, schema: str) -> None:
        rel = self._make(database or self.database, schema, None)
        self.execute(f"drop schema if exists {rel.include(identifier=False).render()} cascade")
        self.cache.schema_dropped(database, schema)

    def drop_relation(self, relation: Relation) -> None:
        kind = "view" if relation.type == "view" else "table"
        self.execute(f"drop {kind} if exists {relation.render()} cascade")
        self.cache.drop(relation)

    def rename_relation(self, from_relation: Relation, to_identifier: str) -> None:
        kind = "view" if from_relation.type == "view" else "table"
        self.execute(f"alter {kind} {from_relation.render()} rename to {self.quote(to_identifier)}")
        self.cache.rename(from_relation, to_identifier)

    def detach_referencing(self, relation: Relation, execute: Any, depth: int = 0) -> Any:
        """DuckDB refuses to drop or replace a table that another table's foreign key references. Inside the
        caller's transaction, each such table (always in the same schema) is copied aside and dropped; the
        returned function recreates it with its columns, constraints and rows after the rebuild (a row whose
        key the rebuilt table lost fails the build, which then rolls back)."""
        db, schema = relation.database or self.database, relation.schema or ""
        _, table = self.execute(
            "select distinct t.table_name, t.sql from duckdb_constraints() c join duckdb_tables() t "
            "on t.database_name = c.database_name and t.schema_name = c.schema_name and t.table_name = c.table_name "
            f"where c.constraint_type = 'FOREIGN KEY' and lower(c.database_name) = lower({_literal(db)}) "
            f"and lower(c.schema_name) = lower({_literal(schema)}) "
            f"and lower(c.referenced_table) = lower({_literal(relation.identifier)}) "
            f"and lower(c.table_name) <> lower({_literal(relation.identifier)})", fetch=True)
        restores = []
        for name, sql in table.rows if table and depth < 20 else ():
            dependent = self._make(db, schema, name, "table")
            inner = self.detach_referencing(dependent, execute, depth + 1)
            keep = self.quote(f"__mason_fk_{name}_{threading.get_ident()}")
            execute(f"create temporary table {keep} as select * from {dependent.render()}")
            execute(f"drop table {dependent.render()}")
            restores.append((dependent, str(sql), keep, inner))

        def restore() -> None:
            for dependent, sql, keep, inner in reversed(restores):
                body = sql.strip().rstrip(";")
                execute(f"create table {dependent.render()} {body[body.index('('):]}")
                execute(f"insert into {dependent.render()} select * from {keep}")
                execute(f"drop table {keep}")
                inner()

        return restore

    def seed_sql(self) -> Any:
        from mason.adapters.seed_sql import SeedSQL

        return SeedSQL(self)

    def deploy_dialect(self) -> Any:
        from mason.adapters.deploy_ops import DeployDialect

        return DeployDialect(self)

    def diff_dialect(self) -> Any:
        from mason.adapters.duckdb.diff import DuckDBDiffDialect

        return DuckDBDiffDialect(self)

    def snapshot_dialect(self) -> Any:
        from mason.adapters.snapshot_sql import SnapshotDialect

        return SnapshotDialect(self)

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def server_version(self) -> str:
        return f"DuckDB {self._duckdb.__version__}"

    def cancel(self) -> None:
        """Interrupt every running statement (each worker has its own cursor)."""
        for cur in [self._conn, *self._cursors]:
            try:
                cur.interrupt()
            except Exception:
                pass

    def relation_stats(self, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
        """`mason advise`: identifier (lower case) -> {rows, bytes} for the tables of a schema."""
        from mason.adapters.duckdb.stats import relation_stats

        return relation_stats(self, database, schema)

    def close(self) -> None:
        try:
            self._conn.close()
        except Exception:
            pass


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _clean_message(text: str) -> str:
    return text.strip()
