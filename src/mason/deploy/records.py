"""What a deploy records about its environment: which relations it built, where each lives, and what each
replaced in production (so rollback can put it back)."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

BUILDING, FAILED, PRODUCTION, RETIRED, ROLLED_BACK = "building", "failed", "production", "retired", "rolled back"

Parts = tuple[str | None, str | None, str]  # database, schema, identifier


@dataclass(frozen=True, slots=True)
class Promoted:
    """One relation of a deploy: built as `built`, promoted to `production`, replacing `previous`."""

    unique_id: str
    kind: str  # table | view | materialized_view
    production: Parts
    built: Parts
    # what production had before: None (nothing), ("moved", parts) where the move strategy put it,
    # ("view", parts) the relation the production view read, ("aside", parts) a table renamed aside
    previous: tuple[str, Parts] | None = None


@dataclass(frozen=True, slots=True)
class Environment:
    env_id: str
    status: str
    target: str
    created_at: str
    owner: str = ""
    promoted_at: str = ""
    replaced: str = ""  # the environment that was production before this one
    note: str = ""
    schemas: tuple[str, ...] = ()  # the schemas this environment created (dropped when it is)
    relations: tuple[Promoted, ...] = ()
    pointers: dict[str, Parts] = field(default_factory=dict)  # views strategy: production view -> what it reads
    manifest: bytes = b""  # the manifest.json that built it (zlib)

    def to_row(self) -> dict[str, str]:
        data = asdict(self)
        return {
            "env_id": self.env_id, "status": self.status, "target": self.target, "created_at": self.created_at,
            "owner": self.owner, "promoted_at": self.promoted_at, "replaced": self.replaced, "note": self.note,
            "detail": json.dumps({"schemas": data["schemas"], "relations": data["relations"],
                                  "pointers": {k: list(v) for k, v in self.pointers.items()}}),
            "manifest": base64.b64encode(self.manifest).decode(),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Environment:
        detail = json.loads(row.get("detail") or "{}")
        relations = tuple(
            Promoted(r["unique_id"], r["kind"], tuple(r["production"]), tuple(r["built"]),  # type: ignore[arg-type]
                     (r["previous"][0], tuple(r["previous"][1])) if r.get("previous") else None)
            for r in detail.get("relations") or [])
        return cls(str(row["env_id"]), str(row["status"]), str(row["target"] or ""), str(row["created_at"] or ""),
                   str(row.get("owner") or ""), str(row.get("promoted_at") or ""), str(row.get("replaced") or ""),
                   str(row.get("note") or ""), tuple(detail.get("schemas") or ()), relations,
                   {k: tuple(v) for k, v in (detail.get("pointers") or {}).items()},  # type: ignore[misc]
                   base64.b64decode(row.get("manifest") or ""))

    def manifest_json(self) -> bytes:
        return zlib.decompress(self.manifest) if self.manifest else b""

    def with_status(self, status: str, **changes: Any) -> Environment:
        return replace(self, status=status, **changes)


def pack_manifest(data: bytes) -> bytes:
    return zlib.compress(data, 6)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    """An environment's name: when it was made (sortable), a schema-name-safe suffix."""
    import secrets

    return datetime.now(UTC).strftime("%Y%m%d_%H%M%S%f")[:-3] + secrets.token_hex(1)  # milliseconds: in order


def env_schema(schema: str, env_id: str) -> str:
    return f"{schema}__{env_id}"


def rollback_schema(schema: str, env_id: str) -> str:
    return f"{schema}__{env_id}_old"
