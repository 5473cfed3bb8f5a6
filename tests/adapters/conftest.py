"""Adapter conformance suite: the same end-to-end scenarios run against every adapter.

Each scenario writes a small dbt project into a temporary folder, runs the real `mason` CLI on it
and reads the warehouse back. Adding an adapter means adding one `Warehouse` subclass and one entry
to `WAREHOUSES`: scenarios that need a feature the adapter lacks are skipped with a reason, via
`@pytest.mark.requires("capability")`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Every capability a scenario may ask for. An adapter lists the ones it supports.
ALL_CAPABILITIES = frozenset({
    "transactional_ddl",   # DDL inside transactions: a failed build is rolled back whatever failed
    # a build whose query or write the warehouse refuses leaves the previous relation and its rows untouched
    # (transactions, or building under another name before the previous relation is touched)
    "failed_build_keeps_previous",
    "append", "delete+insert", "merge",   # incremental strategies
    "merge_update_columns", "incremental_predicates",
    "snapshots", "seeds", "unit_tests", "store_failures", "empty",
    "microbatch",
})

TYPE_FAMILIES = ("integer", "decimal", "float", "text", "boolean", "date", "timestamp")
# capabilities that come with another one (a transaction rolls back whatever failed)
IMPLIED = {"transactional_ddl": frozenset({"failed_build_keeps_previous"})}


class Warehouse:
    """What the suite needs to know about one adapter."""

    name: str = ""
    capabilities: frozenset[str] = frozenset()
    schema: str = "analytics"  # target schema of every project
    # SQL spelling of portable types, for DDL written by scenarios (hooks, seed column_types).
    types: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for capability, implied in IMPLIED.items():
            if capability in cls.capabilities:
                cls.capabilities = cls.capabilities | implied

    def profile(self, root: Path, threads: int = 2) -> str:
        """profiles.yml text (profile `conformance`, target `dev`) for a fresh database owned by `root`."""
        raise NotImplementedError

    def query(self, root: Path, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def relations(self, root: Path, schema: str) -> dict[str, str]:
        """Relation name -> 'table' | 'view' for every relation in `schema`."""
        raise NotImplementedError

    def execute(self, root: Path, sql: str) -> None:
        raise NotImplementedError

    def columns(self, root: Path, schema: str, name: str) -> dict[str, str]:
        """Column name -> type family (one of TYPE_FAMILIES, or the raw type lowercased)."""
        raise NotImplementedError

    def qualify(self, schema: str, name: str) -> str:
        return f'"{schema}"."{name}"'

    def quote(self, name: str) -> str:
        """A quoted identifier in the warehouse's SQL (models written by scenarios)."""
        return '"' + name.replace('"', '""') + '"'

    def stored_name(self, name: str) -> str:
        """The name the warehouse keeps for a relation created as `name` (Spark lower-cases them)."""
        return name

    def rendered(self, name: str) -> str:
        """How a relation name ends in run_results' relation_name (with the adapter's default quoting)."""
        return self.quote(name)

    def cleanup(self) -> None:
        """Called once per test module: drop whatever server-side databases/schemas `profile` created."""

    @classmethod
    def create(cls, request: pytest.FixtureRequest) -> Warehouse:
        """A warehouse for one test module (server-backed ones ask `request` for their server fixture)."""
        return cls()


class DuckDBWarehouse(Warehouse):
    name = "duckdb"
    capabilities = frozenset({
        "transactional_ddl", "append", "delete+insert", "merge", "merge_update_columns",
        "incremental_predicates", "snapshots", "seeds", "unit_tests", "store_failures", "empty", "microbatch",
    })
    types = {"text": "varchar", "integer": "integer", "bigint": "bigint", "decimal": "decimal(10,2)",
             "date": "date", "timestamp": "timestamp"}

    def _path(self, root: Path) -> Path:
        return root / "warehouse.duckdb"

    def profile(self, root: Path, threads: int = 2) -> str:
        return textwrap.dedent(f"""\
            conformance:
              target: dev
              outputs:
                dev:
                  type: duckdb
                  path: "{self._path(root)}"
                  schema: {self.schema}
                  threads: {threads}
            """)

    def query(self, root: Path, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        con = duckdb.connect(str(self._path(root)), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def relations(self, root: Path, schema: str) -> dict[str, str]:
        rows = self.query(root, "select table_name, table_type from information_schema.tables "
                                f"where table_schema = '{schema}'")
        return {name: ("view" if kind == "VIEW" else "table") for name, kind in rows}

    def columns(self, root: Path, schema: str, name: str) -> dict[str, str]:
        rows = self.query(root, "select column_name, data_type from information_schema.columns "
                                f"where table_schema = '{schema}' and table_name = '{name}' "
                                "order by ordinal_position")
        return {col: _duckdb_family(kind) for col, kind in rows}


def _duckdb_family(kind: str) -> str:
    k = kind.upper()
    if k in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}:
        return "integer"
    if k.startswith("DECIMAL"):
        return "decimal"
    if k in {"FLOAT", "DOUBLE", "REAL"}:
        return "float"
    if k == "VARCHAR" or k.startswith("VARCHAR("):
        return "text"
    if k == "BOOLEAN":
        return "boolean"
    if k == "DATE":
        return "date"
    if k.startswith("TIMESTAMP"):
        return "timestamp"
    return kind.lower()


class PostgresWarehouse(Warehouse):
    """A database of its own per project folder on the session's PostgreSQL server, dropped at cleanup."""

    name = "postgres"
    capabilities = frozenset({
        "transactional_ddl", "append", "delete+insert", "merge", "merge_update_columns",
        "incremental_predicates", "snapshots", "seeds", "unit_tests", "store_failures", "empty", "microbatch",
    })
    types = {"text": "text", "integer": "integer", "bigint": "bigint", "decimal": "numeric(10,2)",
             "date": "date", "timestamp": "timestamp"}

    def __init__(self, server: Any) -> None:
        self.server = server
        self.databases: dict[Path, str] = {}

    @classmethod
    def create(cls, request: pytest.FixtureRequest) -> Warehouse:
        return cls(request.getfixturevalue("pg_server"))

    def database(self, root: Path) -> str:
        if root not in self.databases:
            import uuid

            name = f"mason_{root.name[:30].lower()}_{uuid.uuid4().hex[:8]}"
            self.databases[root] = self.server.create_database(name)
        return self.databases[root]

    def profile(self, root: Path, threads: int = 2) -> str:
        s = self.server
        return textwrap.dedent(f"""\
            conformance:
              target: dev
              outputs:
                dev:
                  type: postgres
                  host: {s.host}
                  port: {s.port}
                  user: {s.user}
                  password: "{s.password}"
                  dbname: {self.database(root)}
                  schema: {self.schema}
                  threads: {threads}
            """)

    def query(self, root: Path, sql: str) -> list[tuple[Any, ...]]:
        with self.server.connect(self.database(root)) as conn:
            return conn.execute(sql).fetchall()

    def execute(self, root: Path, sql: str) -> None:
        self.server.execute(sql, self.database(root))

    def relations(self, root: Path, schema: str) -> dict[str, str]:
        rows = self.query(root, "select c.relname, c.relkind from pg_class c join pg_namespace n "
                                f"on n.oid = c.relnamespace where n.nspname = '{schema}' "
                                "and c.relkind in ('r', 'p', 'v', 'm')")
        return {name: {"v": "view", "m": "materialized_view"}.get(kind, "table") for name, kind in rows}

    def columns(self, root: Path, schema: str, name: str) -> dict[str, str]:
        rows = self.query(root, "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                                f"where a.attrelid = to_regclass('\"{schema}\".\"{name}\"') and a.attnum > 0 "
                                "and not a.attisdropped order by a.attnum")
        return {col: _postgres_family(kind) for col, kind in rows}

    def cleanup(self) -> None:
        for name in self.databases.values():
            self.server.drop_database(name)
        self.databases.clear()


def _postgres_family(kind: str) -> str:
    k = kind.lower()
    if k in {"smallint", "integer", "bigint"}:
        return "integer"
    if k.startswith("numeric"):
        return "decimal"
    if k in {"real", "double precision"}:
        return "float"
    if k in {"text"} or k.startswith(("character varying", "character(")):
        return "text"
    if k == "boolean":
        return "boolean"
    if k == "date":
        return "date"
    if k.startswith("timestamp"):
        return "timestamp"
    return k


class SparkWarehouse(Warehouse):
    """The session's Spark Connect server (one JVM for every test): projects use `method: connect`, and the
    catalog is emptied whenever a new project folder asks for a profile (scenarios run one at a time)."""

    name = "spark"
    capabilities = frozenset({
        "failed_build_keeps_previous", "append", "delete+insert", "merge", "merge_update_columns",
        "incremental_predicates", "snapshots", "seeds", "unit_tests", "store_failures", "empty", "microbatch",
    })
    types = {"text": "string", "integer": "int", "bigint": "bigint", "decimal": "decimal(10,2)",
             "date": "date", "timestamp": "timestamp"}

    def __init__(self, server: Any) -> None:
        self.server = server
        self.roots: set[Path] = set()

    @classmethod
    def create(cls, request: pytest.FixtureRequest) -> Warehouse:
        return cls(request.getfixturevalue("spark_server"))

    def profile(self, root: Path, threads: int = 2) -> str:
        if root not in self.roots:
            self.roots.add(root)
            self.server.reset()
        return textwrap.dedent(f"""\
            conformance:
              target: dev
              outputs:
                dev:
                  type: spark
                  method: connect
                  host: "{self.server.url}"
                  schema: {self.schema}
                  threads: {threads}
            """)

    def qualify(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}"

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def stored_name(self, name: str) -> str:
        return name.lower()

    def rendered(self, name: str) -> str:
        return name  # dbt-spark quotes nothing by default

    def query(self, root: Path, sql: str) -> list[tuple[Any, ...]]:
        return self.server.sql(sql)

    def execute(self, root: Path, sql: str) -> None:
        self.server.sql(sql)

    def relations(self, root: Path, schema: str) -> dict[str, str]:
        if schema.lower() not in {r[0].lower() for r in self.server.sql("show databases")}:
            return {}
        views = {r[1] for r in self.server.sql(f"show views in {self.quote(schema)}") if not r[2]}
        return {name: ("view" if name in views else "table")
                for _ns, name, temporary in self.server.sql(f"show tables in {self.quote(schema)}") if not temporary}

    def columns(self, root: Path, schema: str, name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for col, kind, _comment in self.server.sql(f"describe table {self.qualify(schema, name)}"):
            if not col or col.startswith("#"):
                break
            out[col] = _spark_family(kind)
        return out


def _spark_family(kind: str) -> str:
    k = kind.lower()
    if k in {"tinyint", "smallint", "int", "bigint"}:
        return "integer"
    if k.startswith("decimal"):
        return "decimal"
    if k in {"float", "double"}:
        return "float"
    if k == "string" or k.startswith(("varchar", "char")):
        return "text"
    if k == "boolean":
        return "boolean"
    if k == "date":
        return "date"
    if k.startswith("timestamp"):
        return "timestamp"
    return k


WAREHOUSES: dict[str, type[Warehouse]] = {
    "duckdb": DuckDBWarehouse, "postgres": PostgresWarehouse, "spark": SparkWarehouse,
}
# MASON_CONFORMANCE_ADAPTERS=duckdb,postgres picks a subset (e.g. in CI jobs that have a server running).
SELECTED = [a.strip() for a in os.environ.get("MASON_CONFORMANCE_ADAPTERS", ",".join(WAREHOUSES)).split(",") if a.strip()]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(*capabilities): skip the scenario on adapters lacking one of these capabilities")


@pytest.fixture(scope="module", params=SELECTED)
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    if request.param not in WAREHOUSES:
        pytest.fail(f"unknown adapter {request.param!r} in MASON_CONFORMANCE_ADAPTERS; known: {sorted(WAREHOUSES)}")
    wh = WAREHOUSES[request.param].create(request)
    marker_caps = {c for m in request.node.iter_markers("requires") for c in m.args}
    unknown = marker_caps - ALL_CAPABILITIES
    assert not unknown, f"unknown capabilities in requires marker: {sorted(unknown)}"
    missing = marker_caps - wh.capabilities
    if missing:
        pytest.skip(f"{wh.name} adapter does not support: {', '.join(sorted(missing))}")
    try:
        yield wh
    finally:
        wh.cleanup()


@pytest.fixture(autouse=True)
def _check_requires(request: pytest.FixtureRequest) -> None:
    """Function-level `requires` markers (module-level ones are handled by `warehouse`)."""
    if "warehouse" not in request.fixturenames:
        return
    wh: Warehouse = request.getfixturevalue("warehouse")
    require(wh, *(c for m in request.node.iter_markers("requires") for c in m.args))


def require(wh: Warehouse, *capabilities: str) -> None:
    unknown = set(capabilities) - ALL_CAPABILITIES
    assert not unknown, f"unknown capabilities: {sorted(unknown)}"
    missing = set(capabilities) - wh.capabilities
    if missing:
        pytest.skip(f"{wh.name} adapter does not support: {', '.join(sorted(missing))}")


def buildable(wh: Warehouse, needs: dict[str, tuple[str, ...]], names: Any) -> list[str]:
    """The names whose needed capabilities the adapter has: scenarios leave the others out of the project."""
    return [n for n in names if set(needs.get(n, ())) <= wh.capabilities]


def case(*values: Any, needs: tuple[str, ...] = ()) -> Any:
    """A parametrize case skipped (with a reason) on adapters lacking `needs`."""
    return pytest.param(*values, marks=[pytest.mark.requires(*needs)] if needs else [])


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def status(self, unique_id: str) -> str:
        assert unique_id in self.results, f"{unique_id} not in run_results: {sorted(self.results)}\n{self.output}"
        return self.results[unique_id]["status"]

    def statuses(self) -> dict[str, str]:
        return {uid: r["status"] for uid, r in self.results.items()}

    @property
    def output(self) -> str:
        return f"$ mason {' '.join(self.args)} -> {self.code}\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"


class Project:
    """A dbt project on disk, bound to one warehouse."""

    name = "conformance"

    def __init__(self, root: Path, warehouse: Warehouse, files: dict[str, str], threads: int = 2,
                 project_yml: str = "", history: bool = False) -> None:
        self.root = root
        self.warehouse = warehouse
        # the run history (docs/monitoring.md) has scenarios of its own; elsewhere it only costs time (on Spark,
        # a second or more per command)
        self.history = history
        root.mkdir(parents=True, exist_ok=True)
        (root / "dbt_project.yml").write_text(
            f"name: {self.name}\nversion: '1'\nconfig-version: 2\nprofile: {self.name}\n" + textwrap.dedent(project_yml))
        (root / "profiles.yml").write_text(warehouse.profile(root, threads))
        self.write(files)

    @property
    def schema(self) -> str:
        return self.warehouse.schema

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))

    def remove(self, *rels: str) -> None:
        for rel in rels:
            (self.root / rel).unlink()

    def run(self, *args: str, expect: int | None = 0) -> Run:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
        if not self.history:
            env["MASON_HISTORY"] = "0"
        results_path = self.root / "target" / "run_results.json"
        results_path.unlink(missing_ok=True)
        proc = subprocess.run([sys.executable, "-m", "mason", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=300)
        run = Run(args, proc.returncode, proc.stdout, proc.stderr)
        if results_path.exists():
            run.results = {r["unique_id"]: r for r in json.loads(results_path.read_text())["results"]}
        if expect is not None:
            assert run.code == expect, run.output
        return run

    # --- reading the warehouse back -------------------------------------------------------------

    def rows(self, name: str, schema: str | None = None, columns: str = "*") -> list[tuple[Any, ...]]:
        """All rows of a relation, sorted (None sorts first) so comparisons ignore physical order."""
        rows = self.warehouse.query(self.root, f"select {columns} from {self.warehouse.qualify(schema or self.schema, name)}")
        return sorted(rows, key=lambda row: tuple((v is not None, v) for v in row))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.warehouse.query(self.root, sql)

    def query_commit(self, sql: str) -> None:
        """Run a statement that changes the warehouse (outside Mason)."""
        self.warehouse.execute(self.root, sql)

    def relations(self, schema: str | None = None) -> dict[str, str]:
        return self.warehouse.relations(self.root, schema or self.schema)

    def columns(self, name: str, schema: str | None = None) -> dict[str, str]:
        return self.warehouse.columns(self.root, schema or self.schema, name)


def model(name: str) -> str:
    return f"model.{Project.name}.{name}"
