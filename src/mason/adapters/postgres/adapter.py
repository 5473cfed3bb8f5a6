"""The PostgreSQL adapter on psycopg 3: a connection per worker thread, transactional DDL, COPY for seeds."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
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
from mason.adapters.postgres.connect import ConnectionSettings, connect
from mason.adapters.relation import Relation, relation_factory
from mason.adapters.table import Table
from mason.adapters.target import Target
from mason.errors import DatabaseError

MAX_IDENTIFIER_LENGTH = 63  # NAMEDATALEN - 1, in bytes
_KINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "materialized_view"}
_DDL_KIND = {"view": "view", "materialized_view": "materialized view"}
_SIZED = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)(\[\])?$")
_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)(\[\])?$")
_TIME_PRECISION = re.compile(r"^(timestamp|time)\(\d+\)( with(?:out)? time zone)(\[\])?$")
_CAPABILITIES = Capabilities(
    transactional_ddl=True, atomic_rename=True, merge=True,
    create_or_replace_table=False, create_or_replace_view=False,
    incremental_strategies=("append", "delete+insert", "merge", "microbatch"),
    default_incremental_strategy="delete+insert",
    max_identifier_length=MAX_IDENTIFIER_LENGTH,
    indexes=True, grants=True, materialized_views=True, unlogged_tables=True,
    constraints_enforced=("check", "not_null", "unique", "primary_key", "foreign_key"), constraints_unenforced=(),
    batch_tests=True,
)


def column_from_pg_type(name: str, formatted: str) -> ColumnInfo:
    """A column as dbt-postgres describes it, from ``format_type()``: the type name without its size
    (``character varying``, ``numeric``, ``timestamp without time zone``), the size in the other fields."""
    m = _SIZED.match(formatted)
    if m and not m.group(3):
        return ColumnInfo(name, m.group(1), char_size=int(m.group(2)))
    m = _NUMERIC.match(formatted)
    if m and not m.group(3):
        return ColumnInfo(name, "numeric", numeric_precision=int(m.group(1)), numeric_scale=int(m.group(2)))
    m = _TIME_PRECISION.match(formatted)
    if m:
        return ColumnInfo(name, f"{m.group(1)}{m.group(2)}{m.group(3) or ''}")
    return ColumnInfo(name, formatted)


# names of the temporary relations Mason drops (models' intermediates, seed stages): never a cached relation
_TEMPORARY = ("__dbt_tmp", "mason_seed_stage_", "mason_seed_view_")


class PostgresAdapter(QueryComments, CachedRelations):
    type = "postgres"

    def __init__(self, target: Target, project_root: Path | None = None, quoting: dict[str, Any] | None = None) -> None:
        import psycopg

        self._psycopg = psycopg
        self.target = target
        self.settings = ConnectionSettings.from_target(target)
        self.database = self.settings.dbname
        self._local = threading.local()
        self._connections: list[Any] = []
        self._conn_lock = threading.Lock()
        self._schema_lock = threading.Lock()
        self.cache = RelationCache()
        self._cache_trusted = True  # lookup_relation may answer from the cache (no DROP has run yet)
        self._make = relation_factory("postgres", quoting)
        first = self.connection  # connect now: a bad profile fails before any work starts
        self.server_version_num = int(first.info.server_version)
        # native MERGE arrived in PostgreSQL 15; older servers run merge as delete+insert
        self.capabilities = replace(_CAPABILITIES, merge=self.server_version_num >= 150000)

    # -- connections
    @property
    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = connect(self.settings, self._psycopg)
            self._local.conn = conn
            self._local.in_txn = False
            with self._conn_lock:
                self._connections.append(conn)
        return conn

    def _error(self, exc: Exception) -> DatabaseError:
        return DatabaseError(error_text(exc))

    def execute(self, sql: str, fetch: bool = False, limit: int | None = None) -> tuple[AdapterResponse, Table | None]:
        if self._cache_trusted and sql[:200].lstrip()[:4].lower() == "drop" and not any(m in sql for m in _TEMPORARY):
            self._cache_trusted = False  # see lookup_relation
        conn = self.connection
        try:
            cur = conn.execute(self._with_comment(sql))
            while cur.nextset():  # several statements: the last one's result counts
                pass
            response = AdapterResponse(cur.statusmessage or "OK", _code(cur.statusmessage), cur.rowcount)
            if not fetch:
                return response, None
            if cur.description is None:
                return response, Table([], [])
            names = [d.name for d in cur.description]
            types = [self._type_name(conn, d.type_code) for d in cur.description]
            rows = cur.fetchmany(limit) if limit is not None and limit >= 0 else cur.fetchall()
            return response, Table(names, rows, types)
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    def contract_columns(self, sql: str) -> list[ColumnInfo]:
        """A query's columns, typed as dbt-postgres compares contracts (adapters/postgres/contract_types.py)."""
        from mason.adapters.postgres.contract_types import contract_type

        try:
            cur = self.connection.execute(self._with_comment(
                f"select * from (\n{sql}\n) as __dbt_sbq where false limit 0"))
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc
        return [ColumnInfo(d.name, contract_type(d.type_code)) for d in cur.description or ()]

    @staticmethod
    def _type_name(conn: Any, oid: int) -> str:
        info = conn.adapters.types.get(oid)
        return str(info.name) if info is not None else "text"

    def copy_csv(self, table_sql: str, path: Path, delimiter: str, chunk: int = 1 << 20) -> int:
        """COPY a CSV file (header line skipped) into ``table_sql`` (a table with a column list); rows loaded."""
        conn = self.connection
        options = f"format csv, header true, delimiter {_literal(delimiter)}, quote '\"', escape '\"'"
        try:
            with conn.cursor() as cur:
                with cur.copy(self._with_comment(f"copy {table_sql} from stdin with ({options})")) as copy, \
                        path.open("rb") as fh:
                    while True:
                        data = fh.read(chunk)
                        if not data:
                            break
                        copy.write(data)
                return int(cur.rowcount)
        except self._psycopg.Error as exc:
            raise self._error(exc) from exc

    def bulk_sql(self) -> Any:
        """Rows written from Python (the run history): one COPY (adapters/postgres/bulk.py)."""
        from mason.adapters.postgres.bulk import PostgresBulkSQL

        return PostgresBulkSQL(self)

    def begin(self) -> None:
        if not getattr(self._local, "in_txn", False):
            self.execute("begin")
            self._local.in_txn = True

    def commit(self) -> None:
        if getattr(self._local, "in_txn", False):
            self._local.in_txn = False
            try:
                self.connection.execute("commit")
            except self._psycopg.Error as exc:
                raise self._error(exc) from exc

    def rollback(self) -> None:
        if getattr(self._local, "in_txn", False):
            self._local.in_txn = False
            try:
                self.connection.execute("rollback")
            except self._psycopg.Error:
                pass

    # -- relations
    def _check_database(self, database: str | None) -> None:
        if database and database != self.database:
            raise DatabaseError(
                f"cross-database reference to {database!r}: PostgreSQL queries can only reach the database "
                f"they are connected to ({self.database!r})",
                hint="remove the database config, or point the profile's dbname at that database")

    def list_relations(self, database: str | None, schema: str) -> list[Relation]:
        cached = self.cache.get_schema(database, schema)
        if cached is not None:
            return list(cached.values())
        self._check_database(database)
        _, table = self.execute(
            "select c.relname, c.relkind from pg_catalog.pg_class c "
            "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
            f"where n.nspname = {_literal(schema)} and c.relkind in ('r', 'p', 'f', 'v', 'm')",
            fetch=True,
        )
        db = database or self.database
        rels = [self._make(db, schema, r[0], _KINDS[r[1]]) for r in (table.rows if table else ())]
        self.cache.set_schema(database, schema, rels)
        return rels

    def lookup_relation(self, relation: Relation) -> Relation | None:
        """The relation as the database has it now. The cache (one listing per schema, kept up to date by
        every build) answers until a DROP other than of a temporary relation has run through this adapter:
        a replaced table's `drop ... cascade` (or a hook's drop) can take views the cache still lists, so
        from then on each lookup asks the catalog (a round trip per model)."""
        if self._cache_trusted:
            return self.get_relation(relation.database, relation.schema or "", relation.identifier or "")
        _, table = self.execute(
            f"select relkind from pg_catalog.pg_class where oid = {self._regclass(relation)}", fetch=True)
        found = None
        if table and table.rows and table.rows[0][0] in _KINDS:
            found = self._make(relation.database or self.database, relation.schema, relation.identifier,
                               _KINDS[table.rows[0][0]])
        if found is None:
            self.cache.drop(relation)
        elif self.cache.get_schema(relation.database, relation.schema or "") is not None:
            self.cache.add(found)
        return found

    def get_columns(self, relation: Relation) -> list[ColumnInfo]:
        """Columns in order, typed like dbt-postgres (tables, views, materialized views, temp tables)."""
        _, table = self.execute(
            "select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) from pg_catalog.pg_attribute a "
            f"where a.attrelid = {self._regclass(relation)} and a.attnum > 0 and not a.attisdropped "
            "order by a.attnum",
            fetch=True,
        )
        return [column_from_pg_type(r[0], r[1]) for r in (table.rows if table else ())]

    def _regclass(self, relation: Relation) -> str:
        """The relation's oid (NULL when it does not exist), named as DDL names it (quoting config included)."""
        name = relation.incorporate(type="table").include(database=False).render()
        return f"to_regclass({_literal(name)})"

    def list_indexes(self, relation: Relation) -> list[dict[str, Any]]:
        """The relation's indexes: [{name, columns, unique, type}] (expression indexes list no columns)."""
        _, table = self.execute(
            "select i.relname, ix.indisunique, am.amname, array(select a.attname "
            "from unnest(ix.indkey) with ordinality as k(attnum, n) "
            "join pg_catalog.pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum order by k.n) "
            "from pg_catalog.pg_index ix join pg_catalog.pg_class i on i.oid = ix.indexrelid "
            "join pg_catalog.pg_am am on am.oid = i.relam "
            f"where ix.indrelid = {self._regclass(relation)} order by i.relname",
            fetch=True,
        )
        return [{"name": r[0], "unique": bool(r[1]), "type": r[2], "columns": list(r[3])}
                for r in (table.rows if table else ())]

    def current_grants(self, relation: Relation) -> dict[str, set[str]]:
        """privilege (lower case) -> grantees, as granted by the current user to others."""
        _, table = self.execute(
            "select lower(p.privilege_type), coalesce(r.rolname, 'public') "
            f"from aclexplode((select relacl from pg_catalog.pg_class where oid = {self._regclass(relation)})) p "
            "left join pg_catalog.pg_roles r on r.oid = p.grantee "
            "where p.grantor = (select oid from pg_catalog.pg_roles where rolname = current_user) "
            "and p.grantee <> p.grantor",
            fetch=True,
        )
        out: dict[str, set[str]] = {}
        for privilege, grantee in table.rows if table else ():
            out.setdefault(str(privilege), set()).add(str(grantee))
        return out

    def catalog_query(self, database: str | None, schema: str) -> str:
        """docs generate: (relation, type, column, position, type) for every relation of a schema, materialized
        views included (information_schema leaves them out), types as format_type() spells them."""
        self._check_database(database)
        return (
            "select c.relname, case c.relkind when 'v' then 'VIEW' when 'm' then 'MATERIALIZED VIEW' "
            "else 'BASE TABLE' end, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod) "
            "from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
            "join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
            f"where n.nspname = {_literal(schema)} and c.relkind in ('r', 'p', 'f', 'v', 'm') "
            "order by c.relname, a.attnum")

    def create_schema(self, database: str | None, schema: str) -> None:
        self._check_database(database)
        rel = self._make(database or self.database, schema, None)
        with self._schema_lock:  # two sessions creating one schema at once collide in the catalog
            # an existing schema is left alone: `create schema if not exists` needs the CREATE privilege even then
            _, found = self.execute(f"select 1 from pg_catalog.pg_namespace where nspname = {_literal(schema)}",
                                    fetch=True)
            if not (found and found.rows):
                self.execute(f"create schema if not exists {rel.include(database=False, identifier=False).render()}")

    def drop_schema(self, database: str | None, schema: str) -> None:
        self._check_database(database)
        rel = self._make(database or self.database, schema, None)
        self.execute(f"drop schema if exists {rel.include(database=False, identifier=False).render()} cascade")
        self.cache.schema_dropped(database, schema)

    def drop_relation(self, relation: Relation) -> None:
        kind = _DDL_KIND.get(relation.type or "", "table")
        self.execute(f"drop {kind} if exists {relation.render()} cascade")
        self.cache.drop(relation)

    def rename_relation(self, from_relation: Relation, to_identifier: str) -> None:
        kind = _DDL_KIND.get(from_relation.type or "", "table")
        new_name = self.quote(to_identifier) if from_relation.quote_policy.identifier else to_identifier
        self.execute(f"alter {kind} {from_relation.render()} rename to {new_name}")
        self.cache.rename(from_relation, to_identifier)

    @property
    def materializations(self) -> dict[str, Any]:
        """Builders of its own: materialized views (the others are the engine's)."""
        from mason.adapters.postgres.materialized_view import materialize_materialized_view

        return {"materialized_view": materialize_materialized_view}

    def seed_sql(self) -> Any:
        from mason.adapters.postgres.seeds import PostgresSeedSQL

        return PostgresSeedSQL(self)

    def deploy_dialect(self) -> Any:
        from mason.adapters.postgres.deploy import PostgresDeployDialect

        return PostgresDeployDialect(self)

    def diff_dialect(self) -> Any:
        from mason.adapters.postgres.diff import PostgresDiffDialect

        return PostgresDiffDialect(self)

    def snapshot_dialect(self) -> Any:
        from mason.adapters.postgres.snapshots import PostgresSnapshotDialect

        return PostgresSnapshotDialect(self)

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def server_version(self) -> str:
        _, table = self.execute("select version()", fetch=True)
        text = str(table.rows[0][0]) if table and table.rows else "PostgreSQL"
        return " ".join(text.split()[:2])

    def describe(self) -> list[tuple[str, str]]:
        """Connection fields for `mason debug` (never the password)."""
        return self.settings.describe()

    def cancel(self) -> None:
        """Cancel the statement running on every worker connection (Ctrl-C, --fail-fast)."""
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                if hasattr(conn, "cancel_safe"):
                    conn.cancel_safe(timeout=5.0)
                else:
                    conn.cancel()
            except Exception:
                pass

    def relation_stats(self, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
        """`mason advise`: identifier (lower case) -> {rows, bytes} for the tables of a schema."""
        from mason.adapters.postgres.stats import relation_stats

        return relation_stats(self, database, schema)

    def column_stats(self, database: str | None, schema: str, table: str) -> dict[str, float]:
        from mason.adapters.postgres.stats import column_stats

        return column_stats(self, database, schema, table)

    def explain(self, sql: str) -> str:
        from mason.adapters.postgres.stats import explain

        return explain(self, sql)

    def close(self) -> None:
        with self._conn_lock:
            conns, self._connections = self._connections, []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass
        self._local = threading.local()


def error_text(exc: Exception) -> str:
    """The server's message with its position, detail and hint, on a few lines."""
    text = str(exc).strip()
    diag = getattr(exc, "diag", None)
    extra = []
    if diag is not None:
        if diag.message_detail:
            extra.append(f"DETAIL: {diag.message_detail}")
        if diag.message_hint:
            extra.append(f"HINT: {diag.message_hint}")
        if diag.context and "COPY" in diag.context:
            extra.append(f"CONTEXT: {diag.context.strip()}")
    return "\n".join([text, *extra])


def _code(status: str | None) -> str:
    if not status:
        return "OK"
    words = [w for w in status.split() if not w.isdigit()]
    return " ".join(words) or status


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
