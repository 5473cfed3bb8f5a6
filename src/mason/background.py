"""Writes that finish on another core, after the command has returned.

The partial-parse cache of a 10,000-model project takes a second or more to pickle, and nothing in the
command that parsed needs it. `write_detached` takes an exclusive lock on a lock file, forks, and lets the
child write while the parent goes on (and may exit): the child inherits the lock and releases it when it
is done. Readers take the lock shared first (`read_lock`), so a command started right after waits for the
write instead of reading a stale cache. The child detaches its standard streams, so a caller waiting for
the command's output (a pipe) is not kept waiting for the write.

Without fork or flock, with other threads running (forking them is unsafe), or with MASON_NO_FORK set,
the work runs inline.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _can_fork() -> bool:
    return (hasattr(os, "fork") and fcntl is not None and not os.environ.get("MASON_NO_FORK")
            and threading.active_count() == 1)


def write_detached(lock_path: Path, work: Callable[[], None]) -> None:
    if not _can_fork():
        work()
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for a previous writer
        pid = os.fork()
    except OSError:
        os.close(fd)
        work()
        return
    if pid == 0:  # the child: detach, write, release the lock by exiting
        code = 0
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for stream in (0, 1, 2):
                os.dup2(null, stream)
            work()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(fd)  # the lock stays held through the child's copy of the descriptor


@contextlib.contextmanager
def read_lock(lock_path: Path) -> Iterator[None]:
    """Hold a shared lock while reading what `write_detached` writes."""
    if fcntl is None or not lock_path.exists():
        yield
        return
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
