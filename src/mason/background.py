"""Work that can finish on another core: a forked child runs it while the command goes on.

Used for writes nothing in this process reads back (the partial-parse cache). Every child is waited for
before the process exits, and before anything reads what a child writes (`wait_all`). Without fork, with
other threads running (forking them is unsafe), or with MASON_NO_FORK set, the work runs inline.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

_children: list[int] = []


def in_background(work: Callable[[], None]) -> None:
    if not hasattr(os, "fork") or os.environ.get("MASON_NO_FORK") or threading.active_count() > 1:
        work()
        return
    try:
        pid = os.fork()
    except OSError:
        work()
        return
    if pid == 0:  # the child: do the work, then leave without running the parent's exit handlers
        code = 0
        try:
            work()
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _children.append(pid)


def wait_all() -> None:
    while _children:
        pid = _children.pop()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


atexit.register(wait_all)
