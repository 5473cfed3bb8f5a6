"""A real execute-time Jinja context over an in-memory DuckDB adapter, for tests of the runtime API and the
macro library."""

from __future__ import annotations

import datetime
import itertools
import types
from collections.abc import Iterator
from typing import Any

import pytest

from mason.adapters.duckdb.adapter import DuckDBAdapter
from mason.adapters.target import Target
from mason.jinja.macros import MacroRuntime
from mason.jinja.runtime_context import ContextFactory
from mason.nodes.manifest import Manifest
from mason.nodes.nodes import Node

from .test_builtin_macros import make_index

_names = itertools.count()


def make_node(name: str, materialized: str = "table", **config: Any) -> Node:
    cfg = {"materialized": materialized, "persist_docs": {}, "grants": {}, "pre-hook": [], "post-hook": [], **config}
    return Node(unique_id=f"model.proj.{name}", resource_type="model", package_name="proj", name=name,
                path=f"{name}.sql", original_file_path=f"models/{name}.sql", fqn=("proj", name),
                raw_code="select 1", checksum="", config=cfg, database="memory", schema="main", alias=name,
                tags=("nightly",), description=f"the {name} model")


class Harness:
    def __init__(self, adapter: DuckDBAdapter, nodes: list[Node], quoting: dict[str, Any] | None = None,
                 flags: Any = None) -> None:
        self.adapter = adapter
        manifest = Manifest(project_name="proj", adapter_type="duckdb", nodes={n.unique_id: n for n in nodes},
                            sources={}, macros={}, docs={}, exposures={}, groups={})
        self.factory = ContextFactory(
            manifest=manifest, index=make_index("duckdb"), target=adapter.target.context(), cli_vars={"color": "red"},
            root_vars={"size": 3}, package_vars={}, env={"MY_ENV": "from-env"},
            flags=flags or types.SimpleNamespace(FULL_REFRESH=False, STORE_FAILURES=False, WHICH="run"),
            invocation_id="inv-1", run_started_at=datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
            quoting=quoting or {}, adapter=adapter, log=lambda m, i: self.logs.append(m))
        self.factory.selected_resources = [n.unique_id for n in nodes]
        self.nodes = nodes
        self.logs: list[str] = []

    def runtime(self, node: Node | None = None, extra: dict[str, Any] | None = None) -> MacroRuntime:
        return self.factory.runtime(node, extra)

    def render(self, source: str, node: Node | None = None) -> str:
        return self.runtime(node).render(source, f"api_{next(_names)}.sql", "proj")

    def value(self, expression: str, node: Node | None = None) -> Any:
        return self.runtime(node).evaluate(expression, "proj")

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        _, table = self.adapter.execute(statement, fetch=True)
        assert table is not None
        return [tuple(r) for r in table.rows]


@pytest.fixture()
def adapter() -> Iterator[DuckDBAdapter]:
    target = Target("p", "dev", "duckdb", 1, "memory", "main", {"path": ":memory:"})
    duck = DuckDBAdapter(target)
    duck.execute("create table main.people as select * from (values (1, 'ann', 1.5::double, 12.50::decimal(10,2)),"
                 " (2, 'bob', 2.0, 3.25)) t(id, name, score, price)")
    duck.execute("create view main.people_v as select id from main.people")
    yield duck
    duck.close()


@pytest.fixture()
def h(adapter: DuckDBAdapter) -> Harness:
    return Harness(adapter, [make_node("orders"), make_node("customers", "view", grants={"select": ["role_a"]})])


