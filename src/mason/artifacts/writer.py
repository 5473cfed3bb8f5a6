"""Atomic JSON/text writes (temp file then rename) with secret values masked."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mason.observe import masking
from mason.observe.masking import scrub


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never reach a file: masked as ***** wherever they appear (see mason.observe.masking)."""
    masking.register(values)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, scrub(text).encode("utf-8"))


_pending: list[Any] = []
_pool: Any = None
_pool_lock = __import__("threading").Lock()


def write_text_soon(path: Path, text: str) -> None:
    """Write in a background thread: for the compiled/run SQL files written per node, whose I/O would
    otherwise sit between one model's query and the next (about a millisecond each on slow disks).
    `flush_writes` waits for them (the CLI calls it before exiting)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            import atexit
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mason-writer")
            atexit.register(flush_writes)
        _pending.append(_pool.submit(write_text, path, text))


def flush_writes() -> None:
    """Wait for every `write_text_soon`; raise the first failure."""
    with _pool_lock:
        pending = list(_pending)
        _pending.clear()
    for future in pending:
        future.result()


def dumps(data: Any) -> str:
    """Compact JSON; msgspec's encoder is several times faster than the standard library's on large manifests."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency, but keep working without it
        return json.dumps(data, default=_default, separators=(",", ":"))
    return msgspec.json.encode(data, enc_hook=_default).decode("utf-8")


def write_json(path: Path, data: Any) -> None:
    try:
        import msgspec
    except ImportError:  # pragma: no cover
        write_text(path, dumps(data))
        return
    payload = msgspec.json.encode(data, enc_hook=_default)
    for secret in masking.registered():
        encoded = msgspec.json.encode(secret)[1:-1]  # as the secret appears inside a JSON string
        if encoded in payload:
            payload = payload.replace(encoded, b"*****")
    write_bytes(path, payload)


def write_bytes(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        replace_file(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


BIG_FILE = 8 << 20


def replace_file(tmp: str | Path, path: Path) -> None:
    """os.replace(tmp, path); a large file being replaced is kept alive under another name and deleted
    when the command exits (see background.remove_later), so freeing its blocks is not on the way."""
    try:
        big = os.stat(path).st_size >= BIG_FILE
    except OSError:
        big = False
    if big:
        from mason.background import remove_later

        for stale in path.parent.glob(f".{path.name}.*.old"):  # left by a command that was killed
            remove_later(stale)
        old = path.with_name(f".{path.name}.{os.getpid()}.old")
        try:
            os.link(path, old)
        except OSError:
            pass
        else:
            remove_later(old)
    os.replace(tmp, path)


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)
