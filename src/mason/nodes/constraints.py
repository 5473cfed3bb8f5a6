"""Constraints and contracts as dbt's manifest writes them: every constraint with its defaults filled in,
the contract checksum `state:modified.contract` compares, and the foreign keys' targets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

CONSTRAINT_TYPES = ("check", "not_null", "unique", "primary_key", "foreign_key", "custom")
ENFORCING_MATERIALIZATIONS = ("table", "incremental")


def normalized(raw: Mapping[str, Any], model_level: bool = False) -> dict[str, Any]:
    """A constraint with every field dbt's manifest writes (defaults filled in)."""
    out = {"type": raw.get("type"), "name": raw.get("name"), "expression": raw.get("expression"),
           "warn_unenforced": raw.get("warn_unenforced", True), "warn_unsupported": raw.get("warn_unsupported", True),
           "to": raw.get("to"), "to_columns": list(raw.get("to_columns") or [])}
    if model_level:
        out["columns"] = list(raw.get("columns") or [])
    return out


def _state(raw: Mapping[str, Any], model_level: bool) -> str:
    """A constraint as dbt prints it into the text its contract checksum hashes (a dataclass's repr)."""
    c = normalized(raw, model_level)
    kind = c["type"]
    parts = [f"type=<ConstraintType.{kind}: {kind!r}>"]
    parts += [f"{key}={c[key]!r}" for key in ("name", "expression", "warn_unenforced", "warn_unsupported", "to",
                                              "to_columns")]
    if model_level:
        parts.append(f"columns={c['columns']!r}")
    return f"{'ModelLevelConstraint' if model_level else 'ColumnLevelConstraint'}({', '.join(parts)})"


def contract_checksum(columns: Iterable[Any], constraints: Iterable[Mapping[str, Any]], materialized: str) -> str:
    """dbt's `contract.checksum`: sha256 of each column's name, data_type and constraints (by name), then
    the materialization and model-level constraints where the materialization enforces them.
    `state:modified.contract` compares it."""
    text = ""
    for col in sorted(columns, key=lambda c: c.name):
        text += f"|{col.name}{col.data_type}[{', '.join(_state(c, False) for c in col.constraints)}]"
    if materialized in ENFORCING_MATERIALIZATIONS:
        text += f"{materialized}[{', '.join(_state(c, True) for c in constraints)}]"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def foreign_key_targets(columns: Iterable[Any], constraints: Iterable[Mapping[str, Any]]) -> list[str]:
    """The `to:` of every foreign key (`ref('x')` / `source('s', 't')`), model-level and column-level."""
    found = [c for c in constraints if isinstance(c, Mapping)]
    for col in columns:
        found += [c for c in col.constraints if isinstance(c, Mapping)]
    return [str(c["to"]) for c in found if c.get("type") == "foreign_key" and c.get("to")]


def primary_key(columns: Iterable[Any], constraints: Iterable[Mapping[str, Any]]) -> list[str]:
    """The manifest's `primary_key` as constraints give it: a model-level primary key's columns, else the
    column with a primary key constraint."""
    for c in constraints:
        if isinstance(c, Mapping) and c.get("type") == "primary_key":
            return [str(x) for x in c.get("columns") or []]
    for col in columns:
        if any(isinstance(c, Mapping) and c.get("type") == "primary_key" for c in col.constraints):
            return [col.name]
    return []


def source_contracted(src: Any) -> bool:
    """Whether a source table's config enforces a contract (a Mason addition: checked before its readers)."""
    contract = src.config.get("contract")
    return isinstance(contract, dict) and bool(contract.get("enforced"))
