"""run_results.json, schema v6."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mason.artifacts.manifest import metadata
from mason.artifacts.writer import write_json

SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"


@dataclass
class NodeResult:
    unique_id: str
    status: str
    message: str | None
    failures: int | None
    execution_time: float
    thread_id: str
    adapter_response: dict[str, Any]
    timing: list[dict[str, Any]] = field(default_factory=list)
    compiled_code: str | None = None
    relation_name: str | None = None
    compiled: bool = False
    batch_results: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "timing": self.timing,
            "thread_id": self.thread_id,
            "execution_time": self.execution_time,
            "adapter_response": self.adapter_response,
            "message": self.message,
            "failures": self.failures,
            "unique_id": self.unique_id,
            "compiled": self.compiled,
            "compiled_code": self.compiled_code,
            "relation_name": self.relation_name,
            "batch_results": self.batch_results,
        }


def write_run_results(path: Path, results: list[NodeResult], elapsed: float, invocation_id: str,
                      started_at: datetime, env: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    data = {
        "metadata": metadata(SCHEMA, invocation_id, started_at, env),
        "results": [r.to_dict() for r in results],
        "elapsed_time": elapsed,
        "args": args,
    }
    write_json(path, data)
    return data
