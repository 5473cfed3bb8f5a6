"""Model contracts at parse, as dbt checks them: foreign keys' `to:` become dependencies, and a model's
constraints and contract are validated (constraint types, primary keys, the materialization, the
incremental `on_schema_change`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mason.errors import ParseError, Span
from mason.nodes.constraints import CONSTRAINT_TYPES, ENFORCING_MATERIALIZATIONS
from mason.nodes.nodes import Node
from mason.parse import static
from mason.project.yamlio import entry_lines

_SCHEMA_CHANGES = ("append_new_columns", "fail")


def foreign_key_calls(name: str, patch_data: Mapping[str, Any], where: Span) -> tuple[list[Any], list[Any]]:
    """The refs and sources named by foreign keys' `to:` (column-level and model-level), as dbt adds them to
    the model's dependencies."""
    targets = [c for c in patch_data.get("constraints") or () if isinstance(c, dict)]
    for col in patch_data.get("columns") or ():
        if isinstance(col, dict):
            targets += [c for c in col.get("constraints") or () if isinstance(c, dict)]
    refs: list[Any] = []
    sources: list[Any] = []
    for c in targets:
        if c.get("type") != "foreign_key" or not c.get("to"):
            continue
        found = static.extract("{{ " + str(c["to"]) + " }}")
        if found is None or len(found.refs) + len(found.sources) != 1:
            raise ParseError(f"Invalid 'ref' or 'source' syntax on foreign key constraint 'to' on model {name}: "
                             f"{c['to']}", where, "write to: ref('model') or to: source('source', 'table')")
        refs += found.refs
        sources += found.sources
    return refs, sources


def check_contract(node: Node) -> tuple[list[ParseError], list[str]]:
    """(errors, warnings) for a model's contract and constraints."""
    errors: list[ParseError] = []
    warnings: list[str] = []
    contract = node.config.get("contract")
    enforced = isinstance(contract, dict) and bool(contract.get("enforced"))
    where = Span(node.original_file_path)
    if enforced and node.materialized == "incremental" and \
            node.config.get("on_schema_change", "ignore") not in _SCHEMA_CHANGES:
        errors.append(ParseError(
            f"Invalid value for on_schema_change: {node.config.get('on_schema_change', 'ignore')}. Models "
            "materialized as incremental with contracts enabled must set on_schema_change to "
            "'append_new_columns' or 'fail'", where, "set on_schema_change in the model's config"))
    if node.patch_path is None:  # dbt checks constraints where properties YAML describes the model
        return errors, warnings
    if not enforced and not node.constraints and not any(col.constraints for col in node.columns.values()):
        return errors, warnings
    rel = node.patch_path.split("://", 1)[-1]

    def yml() -> Span:  # read again only for a problem
        return Span(rel, entry_lines(Path(node.root_path) / rel, "models", [node.name])[0] if node.root_path else None)

    column_constraints = [c for col in node.columns.values() for c in col.constraints if isinstance(c, dict)]
    model_constraints = [c for c in node.constraints if isinstance(c, dict)]
    if enforced:
        if any(c.get("type") not in CONSTRAINT_TYPES for c in model_constraints + column_constraints):
            errors.append(ParseError(f"Invalid constraint type on model {node.name}: Type must be one of "
                                     f"{list(CONSTRAINT_TYPES)}", yml()))
        # dbt looks at the columns' constraints only (the model-level ones are not read yet when it warns)
        if any(c.get("warn_unsupported", True) for c in column_constraints) and \
                node.materialized not in ENFORCING_MATERIALIZATIONS:
            warnings.append(f"{yml()}: {node.unique_id}: Constraint types are not supported for {node.materialized} "
                            "materializations and will be ignored. Set 'warn_unsupported: false' on this constraint "
                            "to ignore this warning.")
        if not node.columns:
            errors.append(ParseError(f"Contract enforcement failed for: ({node.original_file_path}): constraints "
                                     "must be defined in a `yml` schema configuration file like `schema.yml`",
                                     yml(), "declare the model's columns (name and data_type) in its properties"))
    pk_columns = [col.name for col in node.columns.values()
                  if any(isinstance(c, dict) and c.get("type") == "primary_key" for c in col.constraints)]
    problems = []
    if len(pk_columns) > 1:
        problems.append(f"Found {len(pk_columns)} columns ({pk_columns}) with primary key constraints defined. "
                        "Primary keys for multiple columns must be defined as a model level constraint.")
    if pk_columns and any(c.get("type") == "primary_key" for c in model_constraints):
        problems.append("Primary key constraints defined at the model level and the columns level. Primary keys "
                        "can be defined at the model level or the column level, not both.")
    if problems:
        errors.append(ParseError(f"Primary key constraint error: ({node.original_file_path}) " + " ".join(problems),
                                 yml()))
    return errors, warnings
