"""target/rebuilt.jsonl: one line for each run that put new data into relations (the nodes it built), so that
a long-lived reader (`mason serve`'s result cache) learns exactly which relations changed since it last
looked, however many runs finished in between.

    {"invocation_id": "...", "at": "2026-12-06T10:00:00+00:00", "nodes": ["model.shop.orders", ...]}

Lines are appended with one write each (O_APPEND); past `MAX_BYTES` the file is started afresh, which a
reader notices (another inode, or fewer bytes) and answers with "anything may have changed".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

NAME = "rebuilt.jsonl"
MAX_BYTES = 1 << 20
CHANGED = frozenset({"success", "partial success"})  # a node's status after which its relation holds new data


def record(target_dir: Path, invocation_id: str, results: Iterable[tuple[str, str]]) -> None:
    """Append the run's rebuilt nodes (`results`: unique id and status of each node it ran)."""
    nodes = [uid for uid, status in results if status in CHANGED]
    if not nodes:
        return
    path = target_dir / NAME
    try:
        if path.stat().st_size > MAX_BYTES:
            path.unlink()
    except FileNotFoundError:
        pass
    line = json.dumps({"invocation_id": invocation_id, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                       "nodes": nodes}, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


class Follower:
    """Reads the lines appended since it last looked (it starts at the end: what was built before it started
    is not news)."""

    def __init__(self, target_dir: Path) -> None:
        self.path = target_dir / NAME
        self.inode, self.offset = self._stat()

    def _stat(self) -> tuple[int, int]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return 0, 0
        return st.st_ino, st.st_size

    def changes(self) -> set[str] | None:
        """The nodes rebuilt since the last call; None when that cannot be known (the file was started afresh
        or removed, so lines may have been missed)."""
        inode, size = self._stat()
        if inode != self.inode or size < self.offset:
            self.inode, self.offset = inode, size
            return None
        if size == self.offset:
            return set()
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(size - self.offset)
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
        self.offset += len(complete)
        nodes: set[str] = set()
        for line in complete.splitlines():
            try:
                nodes.update(str(n) for n in json.loads(line).get("nodes") or ())
            except (ValueError, AttributeError):
                return None
        return nodes
