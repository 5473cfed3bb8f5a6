"""A diff's findings, as data: per model the schema differences, the row counts, the changed columns with
samples; `to_dict()` is the stable JSON shape (`mason diff --output json`), `exit_code()` what CI gates on."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any

# a model's status
IDENTICAL, DIFFERENT, MISSING_IN_PROD, MISSING_IN_DEV, SKIPPED, ERROR = (
    "identical", "different", "missing_in_prod", "missing_in_dev", "skipped", "error")
FAIL_ON = ("any", "schema", "rows", "none")


@dataclass(slots=True)
class SchemaDiff:
    only_in_prod: list[tuple[str, str]] = field(default_factory=list)  # (column, type)
    only_in_dev: list[tuple[str, str]] = field(default_factory=list)
    type_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (column, prod type, dev type)

    @property
    def different(self) -> bool:
        return bool(self.only_in_prod or self.only_in_dev or self.type_changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns_only_in_prod": [{"name": n, "type": t} for n, t in self.only_in_prod],
            "columns_only_in_dev": [{"name": n, "type": t} for n, t in self.only_in_dev],
            "type_changes": [{"name": n, "prod_type": p, "dev_type": d} for n, p, d in self.type_changes],
        }


@dataclass(slots=True)
class ColumnDiff:
    name: str
    changed: int
    sample: list[tuple[dict[str, Any], Any, Any]] = field(default_factory=list)  # (key, prod value, dev value)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "changed": self.changed,
                "sample": [{"key": {k: plain(v) for k, v in key.items()}, "prod": plain(p), "dev": plain(d)}
                           for key, p, d in self.sample]}


@dataclass(slots=True)
class RowDiff:
    prod: int = 0
    dev: int = 0
    only_in_prod: int = 0
    only_in_dev: int = 0
    matched: int | None = None  # by key only
    changed: int | None = None  # matched keys with any column changed (by key only)
    sample_only_in_prod: list[dict[str, Any]] = field(default_factory=list)  # keys (by key) or rows (by hash)
    sample_only_in_dev: list[dict[str, Any]] = field(default_factory=list)

    @property
    def different(self) -> bool:
        return bool(self.prod != self.dev or self.only_in_prod or self.only_in_dev or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prod": self.prod, "dev": self.dev, "only_in_prod": self.only_in_prod, "only_in_dev": self.only_in_dev,
            "matched": self.matched, "changed": self.changed,
            "identical": None if self.matched is None or self.changed is None else self.matched - self.changed,
            "sample_only_in_prod": [plain(r) for r in self.sample_only_in_prod],
            "sample_only_in_dev": [plain(r) for r in self.sample_only_in_dev],
        }


@dataclass(slots=True)
class ModelDiff:
    unique_id: str
    name: str
    prod_relation: str | None = None
    dev_relation: str | None = None
    status: str = IDENTICAL
    key: tuple[str, ...] = ()
    key_source: str | None = None  # "--primary-key", "unique_key", ...; None: whole rows compared
    schema: SchemaDiff | None = None
    rows: RowDiff | None = None
    columns: list[ColumnDiff] = field(default_factory=list)  # every compared column, changed or not
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def schema_different(self) -> bool:
        return self.status in (MISSING_IN_PROD, MISSING_IN_DEV) or bool(self.schema and self.schema.different)

    @property
    def rows_different(self) -> bool:
        return bool(self.rows and self.rows.different)

    def settle(self) -> ModelDiff:
        """Set the status from the findings (once they are all in)."""
        if self.status == IDENTICAL and (self.schema_different or self.rows_different):
            self.status = DIFFERENT
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id, "name": self.name, "status": self.status,
            "prod_relation": self.prod_relation, "dev_relation": self.dev_relation,
            "primary_key": list(self.key), "primary_key_source": self.key_source,
            "compared_by": "primary_key" if self.key else ("row_hash" if self.rows else None),
            "schema": self.schema.to_dict() if self.schema else None,
            "rows": self.rows.to_dict() if self.rows else None,
            "columns": [c.to_dict() for c in self.columns],
            "notes": list(self.notes), "error": self.error,
        }


@dataclass(slots=True)
class DiffReport:
    state: str
    models: list[ModelDiff] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (IDENTICAL, DIFFERENT, MISSING_IN_PROD, MISSING_IN_DEV, SKIPPED, ERROR)}
        for m in self.models:
            out[m.status] += 1
        return out

    def exit_code(self, fail_on: str = "any") -> int:
        """2 when a model could not be compared, 1 when a difference `fail_on` names was found, else 0."""
        if any(m.status == ERROR for m in self.models):
            return 2
        if fail_on == "none":
            return 0
        for m in self.models:
            if fail_on in ("any", "schema") and m.schema_different:
                return 1
            if fail_on in ("any", "rows") and m.rows_different:
                return 1
        return 0

    def to_dict(self, fail_on: str = "any") -> dict[str, Any]:
        return {"state": self.state, "fail_on": fail_on, "exit_code": self.exit_code(fail_on),
                "summary": {"models": len(self.models), **self.counts()},
                "models": [m.to_dict() for m in self.models]}


def plain(value: Any) -> Any:
    """A sample value as JSON can hold it: numbers and strings as they are, decimals as numbers, dates and
    times in ISO format, anything else as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)
