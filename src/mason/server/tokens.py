"""API tokens: created once (the secret is shown once), stored only as SHA-256 hashes in
`<project>/.mason/tokens.json`, each optionally limited to some metrics; revoked by name."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mason.errors import UsageError

PREFIX = "msn_"


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    digest: str
    metrics: tuple[str, ...] | None  # None: every metric
    created_at: str

    def allows(self, metric: str) -> bool:
        return self.metrics is None or metric in self.metrics


def store_path(project_dir: Path) -> Path:
    return project_dir / ".mason" / "tokens.json"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def load(path: Path) -> list[Token]:
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Token(t["name"], t["sha256"], tuple(t["metrics"]) if t.get("metrics") is not None else None,
                  t.get("created_at", "")) for t in data.get("tokens", [])]


def _save(path: Path, tokens: list[Token]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"tokens": [{"name": t.name, "sha256": t.digest, "metrics": list(t.metrics) if t.metrics is not None
                        else None, "created_at": t.created_at} for t in tokens]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def create(path: Path, name: str, metrics: tuple[str, ...] | None = None) -> str:
    """A new token's secret (shown once; only its hash is kept)."""
    tokens = load(path)
    if any(t.name == name for t in tokens):
        raise UsageError(f"a token named {name!r} exists", hint=f"revoke it first: mason serve token revoke {name}")
    secret = PREFIX + secrets.token_urlsafe(32)
    tokens.append(Token(name, _digest(secret), metrics, datetime.now(UTC).isoformat(timespec="seconds")))
    _save(path, tokens)
    return secret


def revoke(path: Path, name: str) -> None:
    tokens = load(path)
    if not any(t.name == name for t in tokens):
        raise UsageError(f"no token named {name!r}", hint="mason serve token list shows them")
    _save(path, [t for t in tokens if t.name != name])


def verify(tokens: list[Token], secret: str) -> Token | None:
    digest = _digest(secret)
    found = None
    for token in tokens:  # compare with every one, in constant time
        if hmac.compare_digest(token.digest, digest):
            found = token
    return found
