"""API tokens: created once (the secret is shown once), stored only as SHA-256 hashes in
`<project>/.mason/tokens.json`, each optionally limited to some metrics or the metrics of some groups; revoked by name."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from mason.errors import UsageError

PREFIX = "msn_"


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    digest: str
    metrics: tuple[str, ...] | None  # None: every metric (unless groups limit it)
    created_at: str
    groups: tuple[str, ...] | None = None  # the metrics of these groups (besides `metrics`)

    def allows(self, metric: str) -> bool:
        return self.metrics is None or metric in self.metrics

    def resolve(self, metric_groups: dict[str, str | None]) -> Token:
        """The token with its groups' metrics (`metric_groups`: each metric's group) among its metrics."""
        if self.groups is None:
            return self
        names = (*(self.metrics or ()), *(m for m, g in metric_groups.items() if g in self.groups))
        return replace(self, metrics=tuple(dict.fromkeys(names)))

    def scope(self) -> str:
        parts = [*(f"group:{g}" for g in self.groups or ()), *(self.metrics or ())]
        return ",".join(parts) if parts or self.metrics is not None else "all metrics"


def store_path(project_dir: Path) -> Path:
    return project_dir / ".mason" / "tokens.json"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def load(path: Path) -> list[Token]:
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Token(t["name"], t["sha256"], tuple(t["metrics"]) if t.get("metrics") is not None else None,
                  t.get("created_at", ""), tuple(t["groups"]) if t.get("groups") is not None else None)
            for t in data.get("tokens", [])]


def _save(path: Path, tokens: list[Token]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"tokens": [{"name": t.name, "sha256": t.digest, "metrics": list(t.metrics) if t.metrics is not None
                        else None, "groups": list(t.groups) if t.groups is not None else None,
                        "created_at": t.created_at} for t in tokens]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def create(path: Path, name: str, metrics: tuple[str, ...] | None = None,
           groups: tuple[str, ...] | None = None) -> str:
    """A new token's secret (shown once; only its hash is kept)."""
    tokens = load(path)
    if any(t.name == name for t in tokens):
        raise UsageError(f"a token named {name!r} exists", hint=f"revoke it first: mason serve token revoke {name}")
    secret = PREFIX + secrets.token_urlsafe(32)
    if groups is not None and metrics is None:
        metrics = ()  # only the groups' metrics
    tokens.append(Token(name, digest(secret), metrics, datetime.now(UTC).isoformat(timespec="seconds"), groups))
    _save(path, tokens)
    return secret


def revoke(path: Path, name: str) -> None:
    tokens = load(path)
    if not any(t.name == name for t in tokens):
        raise UsageError(f"no token named {name!r}", hint="mason serve token list shows them")
    _save(path, [t for t in tokens if t.name != name])
