"""Alerts on a run's failures (docs/monitoring.md): which results alert, where each goes (destinations'
`on:` kinds; a node's `meta.owner` and `meta.alert_channel`), one message per destination and channel, and
the suppression window (target/mason_alerts.json remembers what was sent when).

Kinds: `error` (a model, seed, snapshot, hook or test that errored), `fail` and `warn` (data and unit tests),
`anomaly` (an anomaly test that failed or warned), `freshness` (a source past its warn_after / error_after).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mason.monitor.config import AlertSettings, Destination
from mason.monitor.history import RunRecord, is_anomaly_test, node_of
from mason.observe.masking import scrub, scrub_json

STATE_FILE = "mason_alerts.json"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None
    owners: tuple[str, ...] = ()
    channel: str | None = None
    failures: int | None = None
    path: str | None = None
    rows: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "unique_id": self.unique_id, "name": self.name,
                "resource_type": self.resource_type, "status": self.status, "message": self.message,
                "owners": list(self.owners), "channel": self.channel, "failures": self.failures,
                "path": self.path, "rows": list(self.rows)}


@dataclass
class Message:
    """One delivery: a destination, a channel, and the run's alerts for them."""

    destination: Destination
    channel: str | None
    alerts: list[Alert] = field(default_factory=list)


def _meta(node: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for source in (getattr(node, "source_meta", None), getattr(node, "meta", None),
                   (getattr(node, "config", None) or {}).get("meta")):
        if isinstance(source, dict):
            meta.update(source)
    return meta


def _owners(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v)
    if isinstance(value, dict):  # a group-style owner: {name:, email:}
        return tuple(str(value[k]) for k in ("name", "email") if value.get(k))[:1]
    return (str(value),)


def alerts_of(record: RunRecord, manifest: Any, include_rows: int) -> list[Alert]:
    """The alerts a run raises, in result order."""
    out: list[Alert] = []
    for r in record.results:
        node = node_of(manifest, r.unique_id)
        rtype = getattr(node, "resource_type", r.unique_id.split(".", 1)[0])
        kind = None
        if r.status in ("error", "partial success", "runtime error"):
            kind = "error"
        elif rtype in ("test", "unit_test") and r.status in ("fail", "warn"):
            kind = "anomaly" if is_anomaly_test(node) else r.status
        if kind is None:
            continue
        meta = _meta(node)
        parent = manifest.nodes.get(getattr(node, "attached_node", None) or "") if node is not None else None
        if parent is not None:  # a test without an owner of its own is its model's
            meta = {**_meta(parent), **meta}
        out.append(Alert(kind, r.unique_id, getattr(node, "name", r.unique_id), rtype, r.status,
                         scrub(r.message) if r.message else None, _owners(meta.get("owner")),
                         str(meta["alert_channel"]) if meta.get("alert_channel") else None, r.failures,
                         getattr(node, "original_file_path", None),
                         tuple(record.samples.get(r.unique_id, ())[:include_rows])))
    for f in record.freshness:
        status = f.get("status")
        if status not in ("warn", "error", "runtime error"):
            continue
        src = manifest.sources.get(f.get("unique_id"))
        meta = _meta(src)
        age = f.get("max_loaded_at_time_ago_in_s")
        message = scrub(str(f["error"])) if f.get("error") else (
            f"newest row loaded {_age(age)} ago (max_loaded_at {f.get('max_loaded_at')})" if age else None)
        name = f"{getattr(src, 'source_name', '?')}.{getattr(src, 'name', '?')}"
        out.append(Alert("error" if status == "runtime error" else "freshness", str(f.get("unique_id")), name,
                         "source", str(status), message, _owners(meta.get("owner")),
                         str(meta["alert_channel"]) if meta.get("alert_channel") else None, None,
                         getattr(src, "original_file_path", None)))
    return out


def _age(seconds: Any) -> str:
    s = float(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s / size:.1f}{unit}"
    return f"{s:.0f}s"


def route(alerts: Sequence[Alert], settings: AlertSettings) -> list[Message]:
    """One message per destination and channel, holding the alerts of the kinds the destination takes."""
    messages: dict[tuple[str, str | None], Message] = {}
    for dest in settings.destinations:
        for alert in alerts:
            if alert.kind not in dest.on:
                continue
            channel = alert.channel or dest.channel
            key = (dest.name, channel)
            if key not in messages:
                messages[key] = Message(dest, channel)
            messages[key].alerts.append(alert)
    return list(messages.values())


class Suppression:
    """What was sent when, per destination, channel, node and kind (target/mason_alerts.json)."""

    def __init__(self, target_dir: Path, minutes: float, now: Callable[[], float] = time.time) -> None:
        self.path = target_dir / STATE_FILE
        self.window = max(0.0, minutes) * 60
        self.now = now
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.sent: dict[str, float] = {str(k): float(v) for k, v in (data.get("sent") or {}).items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.sent = {}

    @staticmethod
    def key(message: Message, alert: Alert) -> str:
        return f"{message.destination.name}|{message.channel or ''}|{alert.unique_id}|{alert.kind}"

    def filter(self, message: Message) -> tuple[list[Alert], int]:
        """The message's alerts not sent within the window, and how many were held back."""
        if self.window <= 0:
            return list(message.alerts), 0
        now = self.now()
        fresh = [a for a in message.alerts if now - self.sent.get(self.key(message, a), float("-inf")) >= self.window]
        return fresh, len(message.alerts) - len(fresh)

    def record(self, message: Message, alerts: Sequence[Alert]) -> None:
        now = self.now()
        for alert in alerts:
            self.sent[self.key(message, alert)] = now

    def save(self) -> None:
        horizon = self.now() - max(self.window, 86400.0)
        kept = {k: v for k, v in self.sent.items() if v >= horizon}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"sent": kept}, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


# ------------------------------------------------------------------------------------------------ payloads
_ICONS = {"error": ":red_circle:", "fail": ":x:", "warn": ":warning:", "anomaly": ":chart_with_upwards_trend:",
          "freshness": ":hourglass:"}


def payload(message: Message, alerts: Sequence[Alert], record: RunRecord) -> dict[str, Any]:
    """The JSON a webhook or command receives (scrubbed of secrets)."""
    data = {
        "source": "mason", "project": record.project_name, "invocation_id": record.invocation_id,
        "command": record.command, "target": record.target_name, "git_sha": record.git_sha,
        "destination": message.destination.name, "channel": message.channel, "summary": summary(alerts, record),
        "alerts": [a.to_dict() for a in alerts],
    }
    return json.loads(scrub_json(json.dumps(data, default=str)))


def summary(alerts: Sequence[Alert], record: RunRecord) -> str:
    counts: dict[str, int] = {}
    for a in alerts:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    parts = ", ".join(f"{n} {k}{'s' if n != 1 and k not in ('freshness',) else ''}" for k, n in counts.items())
    return f"mason {record.command} on {record.project_name} ({record.target_name}): {parts}"


def slack_payload(message: Message, alerts: Sequence[Alert], record: RunRecord) -> dict[str, Any]:
    """Slack's incoming-webhook shape: a text fallback and one section per alert (at most 40)."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text",
                                                                 "text": summary(alerts, record)[:150]}}]
    for a in alerts[:40]:
        lines = [f"{_ICONS.get(a.kind, '')} *{a.kind}* `{a.name}` ({a.resource_type}, {a.status})"]
        if a.owners:
            lines.append("owner: " + ", ".join(_mention(o) for o in a.owners))
        if a.message:
            lines.append(a.message[:500])
        for row in a.rows[:5]:
            lines.append("> " + _row_text(row))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if len(alerts) > 40:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {len(alerts) - 40} more"}]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"invocation {record.invocation_id}" + (f" at {record.git_sha[:12]}" if record.git_sha else "")}]})
    data: dict[str, Any] = {"text": summary(alerts, record), "blocks": blocks}
    if message.channel:
        data["channel"] = message.channel
    return json.loads(scrub_json(json.dumps(data, default=str)))


def _mention(owner: str) -> str:
    return owner if owner.startswith(("<@", "@", "<!")) else f"@{owner}" if " " not in owner else owner


def _row_text(row: dict[str, Any]) -> str:
    if "value" in row and "expected_min" in row:  # an anomaly: the bucket, the value, the expected range
        where = f" [{row['dimension_value']}]" if row.get("dimension_value") is not None else ""
        lo, hi = row.get("expected_min"), row.get("expected_max")
        return (f"{row.get('bucket_start')}{where} {row.get('metric_name', 'value')} = {_num(row['value'])}, "
                f"expected {_num(lo)} to {_num(hi)}")
    return ", ".join(f"{k}={v}" for k, v in list(row.items())[:8])[:300]


def _num(value: Any) -> str:
    return f"{value:,.4g}" if isinstance(value, int | float) else str(value)
