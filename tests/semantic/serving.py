"""`mason serve` started for a test as a user starts it, on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(project: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """The server's base URL while it runs (its log in a file: a pipe nobody reads would fill up and stop it)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    full_env.update(env or {})
    log = Path(tempfile.mkdtemp(prefix="mason-serve-")) / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "mason", "serve", "--port", str(port), *args], cwd=project,
                                env=full_env, stdout=subprocess.DEVNULL, stderr=err, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail("the server did not start: " + log.read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
