"""Source contracts (a Mason addition to dbt): a source table whose config has `contract: {enforced: true}` is
checked against the live table before anything that reads it runs. Each declared column must exist, have
its `data_type` (compared as model contracts compare types: both read back from the warehouse) and hold its
`not_null`, `unique`, `primary_key`, `check` and `foreign_key` constraints; columns the YAML does not
declare are allowed. The checks cost one query for the table's columns, one for the declared types and one
for all the constraints together.

In `mason run` / `mason build` each contracted source that a selected node reads is a node of the plan (its
result in run_results has the source's unique_id, status pass or fail, like a test); a failed source skips
its dependents. `mason source check` runs just these checks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason.adapters.base import AdapterResponse
from mason.adapters.contracts import ContractColumn, query_columns, table, translate_type
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.nodes.constraints import normalized
from mason.nodes.nodes import SourceDefinition
from mason.project.yamlio import entry_lines


class _Problems:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []  # column, contract, table, problem

    def add(self, column: str, contract: str, found: str, problem: str) -> None:
        self.rows.append((column, contract, found, problem))


def check_source(adapter: Any, src: SourceDefinition, relation: Relation, root: Path | None,
                 render_target: Callable[[str], str], record: Callable[[str], None]) -> NodeOutcome:
    """Check the live table against the source's contract: pass, or fail with a table of differences."""
    problems = _Problems()
    exists = adapter.get_relation(relation.database, relation.schema or "", relation.identifier or "")
    if exists is None:
        return _outcome(src, root, [("", "", "", f"the relation {relation.render()} does not exist")], 1)
    rendered = relation.render()
    aliases = (src.config.get("contract") or {}).get("alias_types", True)
    caps = adapter.capabilities
    declared = [ContractColumn(c.name, translate_type(caps, str(c.data_type)) if aliases and c.data_type
                               else str(c.data_type or ""), bool(c.quote),
                               [normalized(x) for x in c.constraints if isinstance(x, dict)])
                for c in src.columns.values()]
    found = {c.name.lower(): c for c in query_columns(adapter, f"select * from {rendered}")}
    typed = [c for c in declared if c.data_type and c.name.lower() in found]
    wanted: dict[str, Any] = {}
    if typed:
        names = [adapter.quote(c.name) if c.quote else c.name for c in typed]
        sql = "select " + ", ".join(f"cast(null as {c.data_type}) as {n}" for c, n in zip(typed, names))
        record(sql)
        wanted = {c.name.lower(): c for c in query_columns(adapter, sql)}
    for col in declared:
        have = found.get(col.name.lower())
        if have is None:
            problems.add(col.name, col.data_type, "", "missing in table")
        elif col.data_type:
            want = wanted.get(col.name.lower())
            if want is not None and want.dtype != have.dtype:
                problems.add(col.name, want.dtype, have.dtype, "data type mismatch")
    present = [c for c in declared if c.name.lower() in found]
    measures = _measures(adapter, present, rendered, render_target)
    if measures:
        sql = "select " + ", ".join(f"{expr} as v{i}" for i, (_, _, expr) in enumerate(measures)) + \
              f" from {rendered}"
        record(sql)
        _, result = adapter.execute(sql, fetch=True)
        values = result.rows[0] if result is not None and result.rows else [0] * len(measures)
        for (column, kind, _), value in zip(measures, values):
            count = int(value or 0)
            if count:
                noun = {"not_null": "null", "unique": "duplicate"}.get(kind, "violating")
                problems.add(column, kind, f"{count} {noun} row{'s' if count != 1 else ''}", "constraint violated")
    return _outcome(src, root, problems.rows, len(problems.rows))


def _measures(adapter: Any, columns: list[ContractColumn], rendered: str,
              render_target: Callable[[str], str]) -> list[tuple[str, str, str]]:
    """(column, constraint type, SQL counting the rows that break it) for every checkable constraint."""
    out: list[tuple[str, str, str]] = []
    for col in columns:
        name = adapter.quote(col.name) if col.quote else col.name
        for c in col.constraints:
            kind = c["type"]
            if kind in ("not_null", "primary_key"):
                out.append((col.name, "not_null", f"sum(case when {name} is null then 1 else 0 end)"))
            if kind in ("unique", "primary_key"):
                out.append((col.name, "unique", f"count({name}) - count(distinct {name})"))
            if kind == "check" and c["expression"]:
                out.append((col.name, "check", f"sum(case when not ({c['expression']}) then 1 else 0 end)"))
            if kind == "foreign_key" and c["to"] and c["to_columns"]:
                target = render_target(str(c["to"]))
                out.append((col.name, "foreign_key",
                            f"(select count(*) from {rendered} as dbt_child where dbt_child.{name} is not null and "
                            f"not exists (select 1 from {target} as dbt_parent where dbt_parent.{c['to_columns'][0]} "
                            f"= dbt_child.{name}))"))
    return out


def _outcome(src: SourceDefinition, root: Path | None, rows: list[tuple[str, str, str, str]],
             failures: int) -> NodeOutcome:
    if not rows:
        return NodeOutcome("pass", "PASS", AdapterResponse("OK", "OK", 0), 0)
    lines: dict[str, int] = {}
    entry = None
    if root is not None:
        entry, lines = entry_lines(root / src.original_file_path, "sources", [src.source_name, src.name],
                                   list(src.columns))
    by_lower = {name.lower(): n for name, n in lines.items()}
    place = f"{src.original_file_path}:{entry}" if entry else src.original_file_path
    text = table(["column", "contract", "table", "problem", "declared at"],
                 [[c, want, have, problem,
                   f"{src.original_file_path}:{by_lower[c.lower()]}" if c.lower() in by_lower else ""]
                  for c, want, have, problem in rows])
    message = (f"{place}: the contract of source {src.source_name}.{src.name} failed "
               f"({failures} difference{'s' if failures != 1 else ''}):\n\n{text}\n")
    return NodeOutcome("fail", message, AdapterResponse("OK", "OK", failures), failures)

