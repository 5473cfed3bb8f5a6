"""What running one node produced: the shape every materialization returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mason.adapters.base import AdapterResponse


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    status: str  # success | error | skipped | pass | fail | warn | no-op | partial success
    message: str | None = None
    response: AdapterResponse = field(default_factory=AdapterResponse)
    failures: int | None = None
    compiled_code: str | None = None
    relation_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def seed_loaded(rows: int, full_refresh: bool, relation_name: str) -> NodeOutcome:
    """A seed's result in dbt's words: `CREATE n` under a full refresh, `INSERT n` otherwise."""
    code = "CREATE" if full_refresh else "INSERT"
    message = f"{code} {rows}"
    return NodeOutcome(status="success", message=message, response=AdapterResponse(message, code, rows),
                       relation_name=relation_name)
