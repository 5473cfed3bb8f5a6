"""Model contracts in the adapter layer: what each warehouse enforces, the DDL of a contracted table, and
the comparison of a query's columns with the contract's (constraints as the manifest writes them and the
contract checksum are in nodes/constraints.py).

What differs per warehouse comes from `Capabilities`: which constraint types it enforces
(`constraints_enforced`), accepts without enforcing (`constraints_unenforced`; any other type is not
supported and left out of the DDL), whether a foreign key may name the target's database
(`foreign_key_catalog`) and the type aliases `alias_types` translates (`contract_type_aliases`). The types
a query returns are read with the adapter's optional `contract_columns(sql)` (else `get_columns_in_query`),
spelt as the warehouse's dbt adapter compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mason.nodes.constraints import CONSTRAINT_TYPES, ENFORCING_MATERIALIZATIONS, normalized

__all__ = ["CONSTRAINT_TYPES", "ENFORCING_MATERIALIZATIONS", "Contract", "ContractColumn", "Mismatch", "compare",
           "normalized", "query_columns", "support", "table", "translate_type"]

ENFORCED, NOT_ENFORCED, NOT_SUPPORTED = "enforced", "not_enforced", "not_supported"


# ------------------------------------------------------------------------------------------ enforcement
def support(caps: Any, kind: str) -> str:
    if kind in caps.constraints_enforced:
        return ENFORCED
    if kind in caps.constraints_unenforced:
        return NOT_ENFORCED
    return NOT_SUPPORTED


def translate_type(caps: Any, data_type: str) -> str:
    """`alias_types`: a generic type name in the warehouse's spelling (`string` is `text` on DuckDB and
    PostgreSQL; Spark keeps its types)."""
    for alias, real in caps.contract_type_aliases:
        if data_type.strip().lower() == alias:
            return real.upper()
    return data_type


def strip_catalog(relation: str) -> str:
    """`"db"."schema"."t"` → `"schema"."t"` (a foreign key target on warehouses that refuse the catalog)."""
    pieces = relation.split(".")
    return ".".join(pieces[1:]) if len(pieces) > 2 else relation


@dataclass
class ContractColumn:
    name: str
    data_type: str  # as the DDL spells it (alias_types applied)
    quote: bool = False
    constraints: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Contract:
    """An enforced contract, ready for a build: columns in contract order, model-level constraints, the
    relations foreign keys point at (rendered), and where warnings about constraints go."""

    node_id: str
    columns: list[ContractColumn]
    constraints: list[dict[str, Any]]
    targets: dict[str, str] = field(default_factory=dict)  # `to:` as written -> rendered relation
    warn: Callable[[str], None] = lambda message: None

    def names(self, quote: Callable[[str], str]) -> list[str]:
        return [quote(c.name) if c.quote else c.name for c in self.columns]

    def select(self, quote: Callable[[str], str], sql: str) -> str:
        """The model's query with the contract's columns, in the contract's order."""
        return f"select {', '.join(self.names(quote))}\nfrom (\n{sql}\n) as model_subq"

    def empty_select(self, quote: Callable[[str], str]) -> str:
        """A query returning no rows whose columns have the contract's names and types."""
        casts = [f"cast(null as {c.data_type}) as {n}" for c, n in zip(self.columns, self.names(quote))]
        return "select " + ", ".join(casts)

    # -- DDL
    def _target(self, adapter: Any, raw: str | None) -> str | None:
        if not raw:
            return None
        rendered = self.targets.get(raw, raw)
        return rendered if adapter.capabilities.foreign_key_catalog else strip_catalog(rendered)

    def _column_sql(self, adapter: Any, c: dict[str, Any]) -> str | None:
        kind, expr = c["type"], (c["expression"] or "")
        if kind == "check":
            return f"check ({expr})" if expr else None
        if kind in ("not_null", "unique", "primary_key"):
            return f"{kind.replace('_', ' ')} {expr}".strip()
        if kind == "foreign_key":
            to = self._target(adapter, c["to"])
            if to and c["to_columns"]:
                return f"references {to} ({', '.join(c['to_columns'])})"
            return f"references {expr}".strip() if expr else None
        if kind == "custom":
            return str(expr) or None
        return None

    def _model_sql(self, adapter: Any, c: dict[str, Any]) -> str | None:
        kind, expr = c["type"], c["expression"]
        prefix = f"constraint {c['name']} " if c["name"] else ""
        columns = ", ".join(c["columns"])
        if kind == "check":
            return f"{prefix}check ({expr})" if expr else None
        if kind in ("unique", "primary_key"):
            return f"{prefix}{kind.replace('_', ' ')}{' ' + expr if expr else ''} ({columns})"
        if kind == "foreign_key":
            to = self._target(adapter, c["to"])
            if to and c["to_columns"]:
                return f"{prefix}foreign key ({columns}) references {to} ({', '.join(c['to_columns'])})"
            return f"{prefix}foreign key ({columns}) references {expr}" if expr else None
        if kind == "custom":
            return f"{prefix}{expr}" if expr else None
        return None  # not_null has no model-level form

    def _allowed(self, adapter: Any, c: dict[str, Any], where: str) -> bool:
        """Whether the constraint goes into the DDL, warning (as dbt does) when it is not enforced there."""
        kind = c["type"]
        if kind == "custom":
            return True
        level = support(adapter.capabilities, kind)
        if level == NOT_SUPPORTED and c["warn_unsupported"]:
            self.warn(f"{self.node_id}: the constraint type {kind} ({where}) is not supported by {adapter.type}, "
                      "and will be ignored. Set 'warn_unsupported: false' on this constraint to ignore this warning.")
        if level == NOT_ENFORCED and c["warn_unenforced"]:
            self.warn(f"{self.node_id}: the constraint type {kind} ({where}) is not enforced by {adapter.type}. "
                      "It will not guarantee anything about the underlying data. Set 'warn_unenforced: false' on "
                      "this constraint to ignore this warning.")
        return level != NOT_SUPPORTED

    def columns_ddl(self, adapter: Any) -> str:
        """`(col type constraint..., ..., model-level constraints)` for `create table`."""
        return "(\n    " + ",\n    ".join(self.ddl_lines(adapter)) + "\n)"

    def ddl_lines(self, adapter: Any, model_level: bool = True) -> list[str]:
        lines = []
        for col, name in zip(self.columns, self.names(adapter.quote)):
            parts = [name, col.data_type]
            for c in col.constraints:
                rendered = self._column_sql(adapter, c) if self._allowed(adapter, c, f"column {col.name}") else None
                if rendered:
                    parts.append(rendered)
            lines.append(" ".join(parts))
        for c in self.constraints if model_level else ():
            rendered = self._model_sql(adapter, c) if self._allowed(adapter, c, "model") else None
            if rendered:
                lines.append(rendered)
        return lines

    def unenforced(self, adapter: Any) -> None:
        """Warn about each constraint the warehouse does not enforce (for builds that write none)."""
        for col in self.columns:
            for c in col.constraints:
                self._allowed(adapter, c, f"column {col.name}")
        for c in self.constraints:
            self._allowed(adapter, c, "model")


# ------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class Mismatch:
    column: str
    definition_type: str
    contract_type: str
    reason: str  # data type mismatch | missing in contract | missing in definition


def query_columns(adapter: Any, sql: str) -> list[Any]:
    """The columns (name, type) a query returns, types spelt as the warehouse compares contracts."""
    own = getattr(adapter, "contract_columns", None)
    return list(own(sql) if own is not None else adapter.get_columns_in_query(sql))


def compare(definition: Iterable[Any], contract: Iterable[Any]) -> list[Mismatch]:
    """Every difference between the query's columns and the contract's (names case-insensitively, types as
    the warehouse spells them), sorted by column name."""
    have = {c.name.lower(): c for c in definition}
    want = {c.name.lower(): c for c in contract}
    out = []
    for key, col in have.items():
        declared = want.get(key)
        if declared is None:
            out.append(Mismatch(col.name, col.dtype, "", "missing in contract"))
        elif declared.dtype != col.dtype:
            out.append(Mismatch(col.name, col.dtype, declared.dtype, "data type mismatch"))
    out += [Mismatch(col.name, "", col.dtype, "missing in definition") for key, col in want.items() if key not in have]
    return sorted(out, key=lambda m: m.column)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown-style table, as dbt prints contract mismatches."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])
