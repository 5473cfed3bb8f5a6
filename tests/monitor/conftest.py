"""Helpers for the monitoring tests: small DuckDB projects run through the real `mason` CLI, generated event
data with or without a spike, and a real HTTP receiver on 127.0.0.1 for alerts."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.e2e.conftest import PROFILE, Result, run_mason

START = datetime(2024, 3, 1)


def events_csv(days: int = 30, spike_day: int | None = None, spike_rows: int = 300, drop_day: int | None = None,
               gap: range = range(0)) -> str:
    """id,created_at,country,amount: about 100 rows a weekday and 120 a weekend day (with a fixed ±2 wobble,
    no randomness), evenly spread over the day; `spike_day` gets `spike_rows` rows, mostly from 'us' with
    amounts ten times larger; `drop_day` 10 rows; the days in `gap` none."""
    lines = ["id,created_at,country,amount"]
    i = 0
    for day in range(days):
        weekend = (START + timedelta(days=day)).weekday() >= 5
        n = 0 if day in gap else 100 + (20 if weekend else 0) + (day * 7 % 5) - 2
        if day == spike_day:
            n = spike_rows
        if day == drop_day:
            n = 10
        for k in range(n):
            i += 1
            ts = START + timedelta(days=day, seconds=k * (86400 // n))
            country = ("fr", "de", "us")[k % 3] if day != spike_day or k % 4 == 0 else "us"
            amount = (5 + (i * 13 % 40)) * (10 if day == spike_day else 1)
            lines.append(f"{i},{ts:%Y-%m-%d %H:%M:%S},{country},{amount}")
    return "\n".join(lines) + "\n"


class Project:
    """A DuckDB project (profile `p`) in a folder of its own."""

    def __init__(self, root: Path, files: dict[str, str], project_yml: str = "") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db = root / "warehouse.duckdb"
        (root / "dbt_project.yml").write_text(
            "name: m\nversion: '1'\nconfig-version: 2\nprofile: p\n" + textwrap.dedent(project_yml))
        (root / "profiles.yml").write_text(PROFILE.format(db=self.db))
        self.write(files)

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n") if not rel.endswith(".csv") else text)

    def run(self, *args: str, env: dict[str, str] | None = None, expect: int | None = 0) -> Result:
        result = run_mason(self.root, *args, env={"MASON_NO_PROGRESS": "1", **(env or {})})
        if expect is not None:
            assert result.code == expect, f"exit {result.code}\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
        return result

    def results(self) -> dict[str, dict[str, Any]]:
        data = json.loads((self.root / "target" / "run_results.json").read_text())
        return {r["unique_id"]: r for r in data["results"]}

    def statuses(self) -> dict[str, str]:
        return {uid: r["status"] for uid, r in self.results().items()}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def query_dicts(self, sql: str) -> list[dict[str, Any]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        finally:
            con.close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; `fail_first[path]` answers that many 500s first, `delay` sleeps before answering."""

    url: str
    requests: list[Received] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait(self, count: int, timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < end:
            time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            rec = state["r"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if rec.delay:
                time.sleep(rec.delay)
            code = rec.status.get(self.path, 200)
            if rec.fail_first.get(self.path, 0) > 0:
                rec.fail_first[self.path] -= 1
                code = 500
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
