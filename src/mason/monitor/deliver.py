"""Sending alert messages: HTTP POSTs of JSON (Slack incoming webhooks, plain webhooks) and commands that read
the JSON on stdin. Bounded: each attempt has a timeout, failures that may pass (connection errors, timeouts,
HTTP 429 and 5xx, a command's non-zero exit) are retried with exponential backoff, and every delivery of a
run shares one deadline. Nothing raises: the outcome is a warning at most, with URLs never shown."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mason.monitor.alerts import Message, RunRecord, Suppression, payload, slack_payload
from mason.monitor.config import AlertSettings, Destination
from mason.observe.masking import scrub


class _Permanent(Exception):
    """A failure retrying cannot mend (HTTP 4xx other than 429, a command that cannot start)."""


def deliver(messages: list[Message], settings: AlertSettings, record: RunRecord, suppression: Suppression,
            cwd: Path, warn: Callable[[str], None], debug: Callable[[str], None]) -> int:
    """Send every message (its alerts minus the suppressed ones); the number of messages delivered."""
    deadline = time.monotonic() + settings.deadline_seconds
    sent = 0
    try:
        for message in messages:
            alerts, held = suppression.filter(message)
            if held:
                debug(f"alerts: {held} alert{'s' if held != 1 else ''} to {message.destination.shown()} held back "
                      f"(sent within the last {settings.suppress_minutes:g} minutes)")
            if not alerts:
                continue
            if time.monotonic() >= deadline:
                warn(f"alerts: no time left for {message.destination.shown()} "
                     f"(deadline_seconds: {settings.deadline_seconds:g}); not sent")
                continue
            dest = message.destination
            body = slack_payload(message, alerts, record) if dest.type == "slack" else payload(message, alerts, record)
            error = send(dest, json.dumps(body, default=str).encode("utf-8"), settings, deadline, cwd)
            if error is None:
                suppression.record(message, alerts)
                sent += 1
                debug(f"alerts: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} sent to {dest.shown()}")
            else:
                warn(f"alerts: could not alert {dest.shown()}: {error}")
    finally:
        try:
            suppression.save()
        except OSError as exc:
            warn(f"alerts: could not save {suppression.path.name}: {exc}")
    return sent


def send(dest: Destination, body: bytes, settings: AlertSettings, deadline: float, cwd: Path) -> str | None:
    """Deliver one body, retrying; None when delivered, else why not (masked)."""
    attempt = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "out of time"
        timeout = min(settings.timeout_seconds, remaining)
        try:
            if dest.type == "command":
                _run(dest, body, timeout, cwd)
            else:
                _post(dest, body, timeout)
            return None
        except _Permanent as exc:
            return scrub(str(exc))
        except Exception as exc:
            error = scrub(_describe(exc))
        if attempt >= settings.retries:
            return f"{error} (after {attempt + 1} attempt{'s' if attempt else ''})"
        pause = settings.backoff_seconds * (2 ** attempt)
        if time.monotonic() + pause >= deadline:
            return f"{error} (no time left to retry)"
        time.sleep(pause)
        attempt += 1


def _post(dest: Destination, body: bytes, timeout: float) -> None:
    assert dest.url is not None
    headers = {"Content-Type": "application/json", "User-Agent": "mason-alerts", **dest.headers}
    request = urllib.request.Request(dest.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked)
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise ConnectionError(f"HTTP {exc.code} {exc.reason}") from None
        raise _Permanent(f"HTTP {exc.code} {exc.reason}") from None


def _run(dest: Destination, body: bytes, timeout: float, cwd: Path) -> None:
    try:
        proc = subprocess.run(list(dest.command), input=body, capture_output=True, timeout=timeout, cwd=cwd,
                              check=False)
    except FileNotFoundError as exc:
        raise _Permanent(f"command not found: {exc.filename}") from None
    except PermissionError as exc:
        raise _Permanent(f"command cannot run: {exc}") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"command exited with {proc.returncode}" + (f": {tail[0][:200]}" if tail[0] else ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, subprocess.TimeoutExpired):
        return "command timed out"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "timed out"
    if isinstance(exc, urllib.error.URLError):
        return f"connection failed ({exc.reason})"
    text: Any = str(exc) or type(exc).__name__
    return str(text)
