"""Materializations written in Jinja (`{% materialization name, adapter='duckdb' %}` / `default`), from the
project or its packages, run through the same runtime as models: `config`, `this`, `statement('main')`,
`run_hooks`, `adapter.commit()`, and `return({'relations': [...]})`.

Transactions follow dbt: a statement with `auto_begin` (the default) opens one, `adapter.commit()` ends it,
and whatever a materialization leaves uncommitted is rolled back when it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2

from mason.adapters.base import AdapterResponse
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.errors import CompileError, DatabaseError, MasonError, Span
from mason.jinja.environment import MacroException, template_line
from mason.jinja.macros import INTERNAL_PACKAGE, MacroIndex
from mason.jinja.runtime_context import StatementResults
from mason.nodes.nodes import Macro, Node

# Materializations Mason builds in Python; a project (not a package) may still override them in Jinja.
PYTHON_MATERIALIZATIONS = ("view", "table", "incremental")
_BUILTIN_NAMES = (*PYTHON_MATERIALIZATIONS, "ephemeral", "seed", "snapshot", "test", "unit")
_PREFIX = "materialization_"


def find_materialization(index: MacroIndex, node: Node) -> Macro | None:
    """The Jinja materialization a node uses, or None for Mason's own.

    The most adapter-specific definition wins (duckdb, its parents, then default); among equally specific
    ones the root project beats the node's package, which beats other packages. Built-in names are only
    overridden by the root project, as dbt does by default since 1.8.
    """
    name = node.materialized
    packages = [index.root_package]
    if name not in _BUILTIN_NAMES:
        if node.package_name != index.root_package:
            packages.append(node.package_name)
        packages.extend(sorted(p for p in index.by_package if p not in packages and p != INTERNAL_PACKAGE))
        packages.append(INTERNAL_PACKAGE)
    for prefix in (*index.adapter_prefixes, "default"):
        for package in packages:
            found = index.find_in(package, f"{_PREFIX}{name}_{prefix}")
            if found is not None:
                return found
    return None


def known_materializations(index: MacroIndex) -> list[str]:
    """Every materialization name a model can use here, for error messages."""
    return sorted({*PYTHON_MATERIALIZATIONS, "ephemeral", *index.materializations()})


def unknown_materialization(index: MacroIndex, node: Node, adapter_type: str) -> CompileError:
    searched = ", ".join(f"{_PREFIX}{node.materialized}_{p}" for p in (*index.adapter_prefixes, "default"))
    return CompileError(
        f"{node.unique_id} uses materialized={node.materialized!r}, which is not defined for {adapter_type} "
        f"(looked for macros {searched})",
        Span(node.original_file_path),
        f"use one of: {', '.join(known_materializations(index))}; or define it with "
        f"{{% materialization {node.materialized}, default %}} in a macro file",
    )


def _hooks(node: Node, key: str) -> list[dict[str, Any]]:
    hooks = node.config.get(key) or []
    return [{"sql": str(h.get("sql", "")), "transaction": bool(h.get("transaction", True)), "index": i}
            for i, h in enumerate(hooks)]


def _macro_span(macro: Macro, index: MacroIndex, exc: BaseException) -> Span:
    mfile = index.files.get(macro.file_id)
    line = template_line(exc, mfile.path) if mfile is not None else None
    path = macro.original_file_path
    if macro.package_name != index.root_package:
        path = f"{macro.package_name}/{path}"
    return Span(path, line or macro.line)


class MaterializationRun:
    """One node built by one Jinja materialization."""

    def __init__(self, runner: Any, node: Node, sql: str, record: Callable[[str], None], macro: Macro) -> None:
        self.runner = runner
        self.adapter = runner.adapter
        self.node = node
        self.sql = sql
        self.record = record
        self.macro = macro
        self.statements = StatementResults()

    def statement(self, name: str | None = None, fetch_result: bool = False, auto_begin: bool = True,
                  language: str = "sql", caller: Any = None) -> str:
        text = str(caller()) if caller is not None else ""
        if language != "sql":
            raise CompileError(f"statement(language={language!r}) is not supported by Mason",
                               hint="Python models cannot use a Jinja materialization")
        bare = text.strip().rstrip(";").strip().lower()
        if bare in ("commit", "begin", "begin transaction", "rollback"):
            # Mason tracks the transaction itself; a literal COMMIT must go through it.
            {"commit": self.adapter.commit, "rollback": self.adapter.rollback}.get(bare, self.adapter.begin)()
            return ""
        if not bare:
            return ""
        if auto_begin:
            self.adapter.begin()
        self.record(text)
        response, table = self.adapter.execute(text, fetch=fetch_result)
        if name is not None:
            self.statements.store(name, response, table)
        return ""

    def context(self) -> dict[str, Any]:
        return {
            "sql": self.sql,
            "compiled_code": self.sql,
            "pre_hooks": _hooks(self.node, "pre-hook"),
            "post_hooks": _hooks(self.node, "post-hook"),
            "statement": self.statement,
            "defer_relation": None,
        }

    def run(self) -> NodeOutcome:
        compiler = self.runner.compiler
        runtime = compiler.runtime_for(self.node, [], self.context(), self.statements)
        model = runtime.base.get("model")
        if isinstance(model, dict):
            model.update(compiled_code=self.sql, compiled=True)
        materialization = runtime.bind(self.macro)
        try:
            result = materialization()
        except BaseException as exc:
            self.adapter.rollback()
            self.adapter.cache.clear()
            raise self._located(exc) from exc
        finally:
            self._forget_schemas()
        # as in dbt, work a materialization did not commit is discarded (a no-op when it committed)
        self.adapter.rollback()
        relations = self._relations(result)
        for rel in relations:
            self.adapter.cache.add(rel)
        found = self.statements.load("main")
        response = found["response"] if found and isinstance(found.get("response"), AdapterResponse) \
            else AdapterResponse()
        return NodeOutcome("success", str(response), response)

    def _relations(self, result: Any) -> list[Relation]:
        relations = result.get("relations") if isinstance(result, dict) else None
        if not isinstance(relations, list | tuple):
            raise CompileError(
                f"the materialization {self.node.materialized!r} did not return the relations it built",
                _macro_span(self.macro, self.runner.index, Exception()),
                "end the materialization with {{ return({'relations': [target_relation]}) }}",
            )
        return [r for r in relations if isinstance(r, Relation)]

    def _forget_schemas(self) -> None:
        """A materialization may run any DDL: list the node's schema afresh next time it is asked about."""
        cache = self.adapter.cache
        cache.schemas.pop(cache.key(self.node.database, self.node.schema or ""), None)

    def _located(self, exc: BaseException) -> BaseException:
        if not isinstance(exc, Exception):
            return exc
        span = _macro_span(self.macro, self.runner.index, exc)
        where = f"{self.node.unique_id} ({self.node.original_file_path}), materialization {self.node.materialized!r}"
        if isinstance(exc, DatabaseError):
            return DatabaseError(f"{where}: {exc.message}", span, exc.hint)
        if isinstance(exc, MasonError):
            return CompileError(f"{where}: {exc.message}", exc.span or span, exc.hint)
        if isinstance(exc, MacroException | jinja2.TemplateError):
            return CompileError(f"{where}: {exc}", span)
        return CompileError(f"{where}: {type(exc).__name__}: {exc}", span)


def run_materialization(runner: Any, node: Node, sql: str, record: Callable[[str], None],
                        macro: Macro) -> NodeOutcome:
    return MaterializationRun(runner, node, sql, record, macro).run()
