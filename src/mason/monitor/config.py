"""The `monitoring:` and `alerts:` blocks (dbt_project.yml; alerts also in the target's output of profiles.yml),
read into settings. A mistake here never stops a run: it becomes a warning and that part is switched off.

    monitoring:
      history: true                 # MASON_HISTORY=0 switches it off for one command
      schema: mason_monitoring
      database: analytics           # default: the target's
      failing_rows: 5               # sample rows kept per failing test

    alerts:
      suppress_minutes: 60          # the same node and kind alert a destination once in this window
      timeout_seconds: 5
      retries: 2
      destinations:
        - {name: data-team, type: slack, url: "{{ env_var('SLACK_WEBHOOK_URL') }}", channel: "#data"}
        - {name: pager, type: webhook, url: "...", headers: {Authorization: "..."}, on: [error]}
        - {name: log, type: command, command: "python notify.py"}
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

KINDS = ("error", "fail", "warn", "anomaly", "freshness")
DEFAULT_KINDS = frozenset({"error", "fail", "anomaly", "freshness"})
TYPES = ("slack", "webhook", "command")
_OFF = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class HistorySettings:
    enabled: bool = True
    database: str | None = None
    schema: str = "mason_monitoring"
    failing_rows: int = 5  # sample rows kept per failing test
    sampled_tests: int = 50  # failing tests sampled per run at most (one small query each)


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    type: str  # slack | webhook | command
    url: str | None = None
    command: tuple[str, ...] = ()
    channel: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    on: frozenset[str] = DEFAULT_KINDS

    def secrets(self) -> list[str]:
        """What must never be printed: the URL, its path when long enough to hold a token (Slack's
        /services/T../B../..), its query values and password, and header values."""
        from urllib.parse import parse_qsl, urlsplit

        out = [v for v in self.headers.values() if v]
        if self.url:
            out.append(self.url)
            parts = urlsplit(self.url)
            if len(parts.path.strip("/")) >= 12:
                out.append(parts.path.strip("/"))
            out.extend(v for _, v in parse_qsl(parts.query) if len(v) >= 6)
            if parts.password:
                out.append(parts.password)
        return out

    def shown(self) -> str:
        """The destination as messages show it: its name and the URL's host only."""
        if self.type == "command":
            return f"{self.name!r} (command {self.command[0] if self.command else '?'})"
        host = (self.url or "").split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        return f"{self.name!r} ({host or 'no url'})"


@dataclass(frozen=True, slots=True)
class AlertSettings:
    destinations: tuple[Destination, ...] = ()
    suppress_minutes: float = 60.0
    timeout_seconds: float = 5.0
    retries: int = 2
    backoff_seconds: float = 0.5
    deadline_seconds: float = 30.0  # all deliveries of one run together
    include_rows: int = 5  # failing rows shown per test in a message


def history_settings(block: Any, env: Any, warn: Any) -> HistorySettings:
    if str(env.get("MASON_HISTORY", "")).strip().lower() in _OFF:
        return HistorySettings(enabled=False)
    if not block:
        return HistorySettings()
    if not isinstance(block, dict):
        warn("monitoring: must be a mapping (history, schema, database, failing_rows); the history is off")
        return HistorySettings(enabled=False)
    try:
        enabled = block.get("history", True)
        schema = str(block.get("schema") or block.get("history_schema") or "mason_monitoring")
        return HistorySettings(
            enabled=enabled if isinstance(enabled, bool) else str(enabled).lower() not in _OFF,
            database=str(block["database"]) if block.get("database") else None,
            schema=schema, failing_rows=max(0, int(block.get("failing_rows", 5))))
    except (TypeError, ValueError) as exc:
        warn(f"monitoring: {exc}; the history is off")
        return HistorySettings(enabled=False)


def alert_settings(project_block: Any, profile_block: Any, env: Any, warn: Any) -> AlertSettings:
    """The project's alerts, with the profile's on top (its settings win; destinations of both)."""
    if str(env.get("MASON_ALERTS", "")).strip().lower() in _OFF:
        return AlertSettings()
    merged: dict[str, Any] = {}
    destinations: list[Any] = []
    for where, block in (("dbt_project.yml", project_block), ("profiles.yml", profile_block)):
        if not block:
            continue
        if not isinstance(block, dict):
            warn(f"alerts: in {where} must be a mapping with destinations:; ignored")
            continue
        merged.update({k: v for k, v in block.items() if k != "destinations"})
        found = block.get("destinations") or []
        if not isinstance(found, list):
            warn(f"alerts: destinations in {where} must be a list; ignored")
            continue
        destinations.extend((where, d) for d in found)
    out: list[Destination] = []
    for i, (where, raw) in enumerate(destinations, 1):
        try:
            out.append(_destination(raw, i))
        except ValueError as exc:
            warn(f"alerts: destination {i} in {where}: {exc}; ignored")
    try:
        return AlertSettings(
            destinations=tuple(out),
            suppress_minutes=float(merged.get("suppress_minutes", 60)),
            timeout_seconds=max(0.1, float(merged.get("timeout_seconds", 5))),
            retries=max(0, int(merged.get("retries", 2))),
            backoff_seconds=max(0.0, float(merged.get("backoff_seconds", 0.5))),
            deadline_seconds=max(1.0, float(merged.get("deadline_seconds", 30))),
            include_rows=max(0, int(merged.get("include_rows", 5))))
    except (TypeError, ValueError) as exc:
        warn(f"alerts: {exc}; defaults used")
        return AlertSettings(destinations=tuple(out))


def _destination(raw: Any, index: int) -> Destination:
    if not isinstance(raw, dict):
        raise ValueError("must be a mapping with type: and url: (or command:)")
    kind = str(raw.get("type") or ("command" if raw.get("command") else "webhook")).lower()
    if kind not in TYPES:
        raise ValueError(f"type must be one of {', '.join(TYPES)}, not {kind!r}")
    name = str(raw.get("name") or f"{kind}-{index}")
    on = next((raw[k] for k in ("on", True, "kinds") if k in raw), None)  # YAML 1.1 reads a bare `on:` as true
    kinds = DEFAULT_KINDS
    if on is not None:
        listed = [on] if isinstance(on, str) else list(on)
        unknown = [str(k) for k in listed if str(k) not in KINDS]
        if unknown:
            raise ValueError(f"on: {', '.join(unknown)} unknown; kinds are {', '.join(KINDS)}")
        kinds = frozenset(str(k) for k in listed)
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError("headers must be a mapping")
    channel = str(raw["channel"]) if raw.get("channel") else None
    if kind == "command":
        command = raw.get("command")
        if not command:
            raise ValueError("a command destination needs command:")
        parts = tuple(shlex.split(command)) if isinstance(command, str) else tuple(str(c) for c in command)
        return Destination(name, kind, None, parts, channel, {}, kinds)
    url = str(raw.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise ValueError("url: must be an http(s) URL")
    return Destination(name, kind, url, (), channel, {str(k): str(v) for k, v in headers.items()}, kinds)
