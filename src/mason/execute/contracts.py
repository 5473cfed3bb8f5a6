"""Enforced model contracts at run time: the pre-flight check that a model's query returns the contract's
columns and types (before any DDL, so a failed contract leaves the relation as it was), and the contract a
table build writes into its DDL (adapters/contracts.py).

Only models whose config has `contract: {enforced: true}` come here; the others pay nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason.adapters.building import clean_sql
from mason.adapters.contracts import (
    Contract,
    ContractColumn,
    Mismatch,
    compare,
    normalized,
    query_columns,
    table,
    translate_type,
)
from mason.errors import CompileError, Span
from mason.nodes.constraints import foreign_key_targets
from mason.nodes.nodes import Node
from mason.project.yamlio import entry_lines

CHECKED = ("table", "view", "incremental")  # views check columns and types only


def enforced(node: Node) -> bool:
    cfg = node.config.get("contract")
    return isinstance(cfg, dict) and bool(cfg.get("enforced"))


def yaml_place(node: Node, columns: list[str]) -> tuple[Span | None, dict[str, str]]:
    """Where the model's properties entry is (a Span) and where each of `columns` is declared (file:line)."""
    if not node.patch_path:
        return None, {}
    rel = node.patch_path.split("://", 1)[-1]
    line, lines = entry_lines(Path(node.root_path) / rel, "models", [node.name], columns)
    return Span(rel, line), {name: f"{rel}:{n}" for name, n in lines.items()}


def model_contract(node: Node, adapter: Any, render_target: Callable[[str], str],
                   warn: Callable[[str], None]) -> Contract:
    """The node's enforced contract, with `data_type`s as its DDL spells them (`alias_types`) and foreign
    key targets rendered; a contract without columns or with an untyped column is an error (as in dbt)."""
    if not node.columns:
        raise CompileError(f"{node.unique_id}: this model has an enforced contract, and its 'columns' "
                           "specification is missing", yaml_place(node, [])[0] or Span(node.original_file_path),
                           "declare its columns with a name and data_type each in the model's properties YAML")
    untyped = [c.name for c in node.columns.values() if not c.data_type]
    if untyped:
        span, lines = yaml_place(node, untyped)
        raise CompileError(
            f"{node.unique_id}: contracted models require data_type to be defined for each column; "
            f"missing for {untyped} ({', '.join(lines.get(n, '?') for n in untyped)})",
            span or Span(node.original_file_path),
            "add data_type to each of these columns")
    aliases = (node.config.get("contract") or {}).get("alias_types", True)
    caps = adapter.capabilities
    columns = [ContractColumn(c.name, translate_type(caps, str(c.data_type)) if aliases else str(c.data_type),
                              bool(c.quote), [normalized(x) for x in c.constraints if isinstance(x, dict)])
               for c in node.columns.values()]
    constraints = [normalized(x, True) for x in node.constraints if isinstance(x, dict)]
    targets = {raw: render_target(raw) for raw in foreign_key_targets(node.columns.values(), node.constraints)}
    return Contract(node.unique_id, columns, constraints, targets, warn)


def check_columns(adapter: Any, node: Node, contract: Contract, sql: str) -> None:
    """The pre-flight check: the query's column names and types against the contract's, both read from the
    warehouse (a query returning no rows each), so type names compare as the warehouse spells them."""
    definition = query_columns(adapter, clean_sql(sql))
    declared = query_columns(adapter, contract.empty_select(adapter.quote))
    mismatches = compare(definition, declared)
    if mismatches:
        raise contract_error(node, mismatches)


def contract_error(node: Node, mismatches: list[Mismatch]) -> CompileError:
    span, lines = yaml_place(node, list(node.columns))
    # the warehouse may spell a column's name in another case than the YAML does
    by_lower = {name.lower(): place for name, place in lines.items()}
    rows = [[m.column, m.definition_type, m.contract_type, m.reason, by_lower.get(m.column.lower(), "")]
            for m in mismatches]
    if span is not None:
        first = next((by_lower[m.column.lower()] for m in mismatches if m.column.lower() in by_lower), None)
        if first is not None:
            span = Span(span.path, int(first.rsplit(":", 1)[1]))
    text = table(["column_name", "definition_type", "contract_type", "mismatch_reason", "declared at"], rows)
    return CompileError(
        f"{node.unique_id}: this model has an enforced contract that failed.\n"
        "Please ensure the name, data_type, and number of columns in your contract match the columns in your "
        f"model's definition.\n\n{text}\n",
        span or Span(node.original_file_path),
        "change the model's query or its contract (the columns' data_type in its properties YAML)")
