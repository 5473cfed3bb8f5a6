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


_deferred: list[tuple[Path | None, Callable[[], None]]] = []
_garbage: list[str] = []


def _at_exit() -> None:
    if not _deferred and not _garbage:
        import atexit

        atexit.register(run_deferred)


def remove_later(path: Path) -> None:
    """Delete a file when the command exits, in the detached child when there is one: unlinking a large
    file frees its blocks there (70 ms for a 70 MB manifest.json on this machine's disk)."""
    _at_exit()
    _garbage.append(str(path))


def _remove_garbage() -> None:
    while _garbage:
        try:
            os.unlink(_garbage.pop())
        except OSError:
            pass


def write_detached(lock_path: Path | None, work: Callable[[], None], defer: bool = False) -> None:
    """Run `work` in a detached child holding the lock. With `defer`, fork only when the command is
    about to exit (or reads under `read_lock` first): a fork in the middle of a command makes every page
    the parent writes afterwards a copy-on-write fault, which cost a 10,000-model re-parse 0.3 s."""
    if defer:
        _at_exit()
        _deferred.append((lock_path, work))
        return
    if not _can_fork():
        work()
        return
    fd = -1
    try:
        if lock_path is not None:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for a previous writer
        pid = os.fork()
    except OSError:
        if fd >= 0:
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
    if fd >= 0:
        os.close(fd)  # the lock stays held through the child's copy of the descriptor


def run_deferred() -> None:
    """Start every deferred write now (and the deletions asked for, in the first one's child)."""
    if _garbage and not _deferred:
        _deferred.append((None, _remove_garbage))
    while _deferred:
        lock_path, work = _deferred.pop(0)
        if _garbage:
            garbage, _garbage[:] = list(_garbage), []

            def work_then_remove(work: Callable[[], None] = work, garbage: list[str] = garbage) -> None:
                try:
                    work()
                finally:
                    _garbage.extend(garbage)
                    _remove_garbage()

            write_detached(lock_path, work_then_remove)
        else:
            write_detached(lock_path, work)


@contextlib.contextmanager
def read_lock(lock_path: Path) -> Iterator[None]:
    """Hold a shared lock while reading what `write_detached` writes (deferred writes start first)."""
    run_deferred()
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
