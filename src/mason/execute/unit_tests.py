"""Unit tests: run a model's SQL on fixture rows and compare with the expected rows (as multisets).

Inputs become CTEs typed like the real upstream relations (so those must exist, as in dbt: `mason run --empty`
builds them cheaply); columns a fixture leaves out are NULL of the right type.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.compile.compiler import inject_ctes
from mason.errors import CompileError, MasonError, Span
from mason.execute.materializations import clean_sql
from mason.nodes.nodes import GenericNode, Node, RefCall
from mason.parse import static


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _rows(given: dict[str, Any], path: str) -> list[dict[str, Any]] | str:
    fmt = str(given.get("format") or "dict")
    rows = given.get("rows")
    if given.get("fixture") and not isinstance(rows, str):  # the parser puts the file's text in `rows`
        raise CompileError(f"unit test fixture {given['fixture']!r} was not read", Span(path),
                           "run `mason parse` again, or put the rows inline under rows:")
    if fmt == "sql":
        return str(rows or "")
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(str(rows or "").strip()))
        return [{k: (None if v == "" else v) for k, v in r.items()} for r in reader]
    return [dict(r) for r in rows or []]


def _rendered(rows: list[dict[str, Any]] | str, compiler: Any, model: Node, name: str) -> list[dict[str, Any]] | str:
    """SQL rows (inline or from a fixture file) are Jinja, rendered in the model's context as in dbt."""
    if isinstance(rows, str) and ("{{" in rows or "{%" in rows):
        return str(compiler.factory.runtime(model).render(rows, name, model.package_name))
    return rows


def _fixture_sql(rows: list[dict[str, Any]] | str, columns: list[tuple[str, str]], quote: Any) -> str:
    if isinstance(rows, str):
        return rows
    if not rows:
        cols = ", ".join(f"cast(null as {t}) as {quote(n)}" for n, t in columns)
        return f"select {cols} where false"
    selects = []
    lower = {n.lower(): (n, t) for n, t in columns}
    for row in rows:
        given = {str(k).lower(): v for k, v in row.items()}
        unknown = [k for k in given if k not in lower]
        if unknown:
            raise CompileError(f"unit test row has columns the input does not: {', '.join(unknown)}")
        parts = [f"cast({_literal(given.get(n.lower()))} as {t}) as {quote(n)}" for n, t in columns]
        selects.append("select " + ", ".join(parts))
    return "\nunion all\n".join(selects)


def run_unit_test(runner: Any, test: GenericNode, record: Any) -> NodeOutcome:
    manifest = runner.manifest
    adapter = runner.adapter
    compiler = runner.compiler
    model_id = next(iter(test.depends_on_nodes), None)
    model: Node | None = manifest.nodes.get(model_id) if model_id else None
    path = test.original_file_path
    if model is None:
        raise CompileError(f"unit test {test.name}: model {test.data.get('model')!r} not found", Span(path))
    quote = adapter.quote
    ctes: list[tuple[str, str]] = []
    inputs: dict[str, str] = {}  # unique_id or 'this' -> cte name
    for i, given in enumerate(test.data.get("given") or []):
        expr = str(given.get("input", "")).strip()
        if expr == "this":
            relation = compiler.relation(model)
            key = "this"
        else:
            parsed = static.extract("{{ " + expr + " }}")
            if parsed is None or not (parsed.refs or parsed.sources):
                raise CompileError(f"unit test {test.name}: cannot read input {expr!r}", Span(path),
                                   "use ref('model'), source('src', 'table') or this")
            if parsed.refs:
                name, pkg, version = parsed.refs[0]
                uid = compiler.resolver.resolve(RefCall(name, pkg, version), model.package_name)
                if uid is None:
                    raise CompileError(f"unit test {test.name}: input {expr} not found", Span(path))
                up = manifest.nodes[uid]
                relation = compiler.deferred.get(uid) or compiler.relation(up)  # --defer: the state's types
            else:
                src_name, table = parsed.sources[0]
                uid = compiler.resolver.resolve_source(src_name, table, model.package_name)
                if uid is None:
                    raise CompileError(f"unit test {test.name}: input {expr} not found", Span(path))
                relation = compiler._source_relation(model, src_name, table)
            key = uid
        rows = _rendered(_rows(given, path), compiler, model, f"{test.unique_id}:given")
        columns: list[tuple[str, str]] = []
        if not isinstance(rows, str):
            found = adapter.get_relation(relation.database, relation.schema or "", relation.identifier or "")
            if found is None:
                raise CompileError(
                    f"unit test {test.name}: input {expr} ({relation.render()}) does not exist in the warehouse, "
                    "so its column types are unknown", Span(path),
                    "build the upstream models first, e.g. `mason run --empty --select +" + model.name + "`")
            columns = [(c.name, c.dtype) for c in adapter.get_columns(found)]
        cte_name = f"__dbt__cte__unit_input_{i}"
        ctes.append((key, f" {cte_name} as (\n{_fixture_sql(rows, columns, quote)}\n)"))
        inputs[key] = cte_name

    def cte_relation(name: str) -> Relation:
        return adapter.make_relation(None, None, name, "cte")

    def ref(*args: Any, **kwargs: Any) -> Relation:
        version = kwargs.get("version", kwargs.get("v"))
        call = RefCall(str(args[-1]), str(args[0]) if len(args) == 2 else None, version)
        uid = compiler.resolver.resolve(call, model.package_name)
        if uid in inputs:
            return cte_relation(inputs[uid])
        if uid is not None:
            return compiler.relation(manifest.nodes[uid])
        raise CompileError(f"unit test {test.name}: ref {call.name!r} not found", Span(path))

    def source(source_name: str, table: str) -> Relation:
        uid = compiler.resolver.resolve_source(source_name, table, model.package_name)
        if uid in inputs:
            return cte_relation(inputs[uid])
        return compiler._source_relation(model, source_name, table)

    overrides = test.data.get("overrides") or {}
    extra: dict[str, Any] = {"ref": ref, "source": source}
    qualified: dict[tuple[str, str], Any] = {}
    for name, value in (overrides.get("macros") or {}).items():
        stand_in = (lambda v: (lambda *a, **k: v))(value)
        package, _, macro_name = str(name).rpartition(".")
        if package:  # `some_package.some_macro`: that package's macro, however it is called
            qualified[(package, macro_name)] = stand_in
        else:
            extra[macro_name] = stand_in
    if "this" in inputs:
        extra["this"] = cte_relation(inputs["this"])
    runtime = compiler.factory.runtime(model, extra)
    runtime.overrides.update(qualified)
    if overrides.get("vars"):
        runtime.base["var"] = _VarOverride(overrides["vars"], runtime.base["var"])
    try:
        sql = runtime.render(model.raw_code, f"{test.unique_id}", model.package_name)
    except MasonError:
        raise
    except Exception as exc:
        raise CompileError(f"unit test {test.name}: {exc}", Span(model.original_file_path)) from exc
    actual_sql = inject_ctes(clean_sql(sql), ctes)
    record(actual_sql)
    _, probe = adapter.execute(f"select * from (\n{actual_sql}\n) as dbt_unit_actual limit 0", fetch=True)
    assert probe is not None
    actual_types = dict(zip([c.lower() for c in probe.column_names], probe.column_types))
    expect = test.data.get("expect") or {}
    exp_rows = _rendered(_rows(expect, path), compiler, model, f"{test.unique_id}:expect")
    if isinstance(exp_rows, str):
        expected_sql = exp_rows
        exp_cols = list(probe.column_names)
    elif not exp_rows:  # `rows: []`: no rows expected, whatever the columns
        exp_cols = list(probe.column_names)
        expected_sql = _fixture_sql([], [(c, actual_types[c.lower()]) for c in exp_cols], quote)
    else:
        exp_cols = []
        for row in exp_rows:
            for k in row:
                if str(k).lower() not in [c.lower() for c in exp_cols]:
                    exp_cols.append(str(k))
        unknown = [c for c in exp_cols if c.lower() not in actual_types]
        if unknown:
            raise CompileError(f"unit test {test.name}: expected columns not in the model's output: "
                               f"{', '.join(unknown)}", Span(path))
        typed = [(c, actual_types[c.lower()]) for c in exp_cols]
        expected_sql = _fixture_sql(exp_rows, typed, quote)
    cols = ", ".join(quote(c) for c in exp_cols)
    diff_sql = (
        f"with actual as (select {cols} from (\n{actual_sql}\n) as a), expected as (select {cols} from (\n"
        f"{expected_sql}\n) as e)\n"
        f"select 'missing' as which, * from (select * from expected except all select * from actual) as m\n"
        f"union all\nselect 'unexpected' as which, * from (select * from actual except all select * from expected) as u"
    )
    record(diff_sql)
    _, table = adapter.execute(diff_sql, fetch=True)
    assert table is not None
    if not table.rows:
        return NodeOutcome("pass", None, failures=0)
    from mason.adapters.table import format_table

    return NodeOutcome("fail", "actual differs from expected:\n" + format_table(table, 20), failures=len(table.rows))


class _VarOverride:
    def __init__(self, overrides: dict[str, Any], base: Any) -> None:
        self._o = overrides
        self._b = base

    def __call__(self, name: str, default: Any = None) -> Any:
        if name in self._o:
            return self._o[name]
        return self._b(name, default) if default is not None else self._b(name)

    def has_var(self, name: str) -> bool:
        return name in self._o or self._b.has_var(name)
