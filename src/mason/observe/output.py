"""Where a command's text goes. With `--log-format json` (or DBT_LOG_FORMAT=json) stdout carries only JSON events,
one a line, as dbt's does: the run's events come from the sinks, and any other text a command prints (a listing,
a Jinja print(), a message) becomes a `PrintEvent` line, so a program reading stdout (Dagster, Cosmos) can parse
every line. `configure` is called once per CLI invocation."""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, TextIO

from mason.observe.dbt_json import event_line, write_line

_state: dict[str, Any] = {"print": True, "raw": None}


class JsonLinesStdout(io.TextIOBase):
    """A stdout whose every line of text is written as a dbt `PrintEvent` JSON line on the real stdout."""

    def __init__(self, raw: TextIO, invocation_id: str) -> None:
        self.raw = raw
        self.invocation_id = invocation_id
        self._buffer = threading.local()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        pending = getattr(self._buffer, "text", "") + text
        *lines, rest = pending.split("\n")
        self._buffer.text = rest
        for line in lines:
            if line.strip():
                write_line(self.raw, event_line("PrintEvent", "info", line, {"msg": line}, self.invocation_id))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()


def configure(log_format: str, invocation_id: str, print_output: bool = True) -> None:
    """Route stdout for this process: JSON lines for `json`, as it is otherwise."""
    _state["print"] = print_output
    if log_format == "json" and not isinstance(sys.stdout, JsonLinesStdout):
        _state["raw"] = sys.stdout
        sys.stdout = JsonLinesStdout(sys.stdout, invocation_id)


def raw_stdout() -> TextIO:
    """The real stdout, for the JSON sinks' own lines."""
    raw = _state["raw"]
    return raw if raw is not None else sys.stdout


def jinja_print(text: str) -> None:
    """Jinja's print(): shown unless --no-print."""
    if _state["print"]:
        print(text, flush=True)
