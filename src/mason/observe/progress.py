"""A live progress display for terminals (rich): the usual node lines, plus a bar and what is running now."""

from __future__ import annotations

import threading
from typing import Any

from mason.observe.events import ConsoleSink, NodeFinished, NodeInfo


class ProgressSink(ConsoleSink):
    """ConsoleSink lines printed above a live bar; used only when stdout is a terminal."""

    def __init__(self, console: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from rich.console import Console

        self.console = console or Console(highlight=False)
        self._progress: Any = None
        self._task: Any = None
        self._running: dict[str, str] = {}
        self._state_lock = threading.Lock()

    def start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=self.console, transient=True,
        )
        self._task = self._progress.add_task("", total=total)
        self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _emit(self, line: str, level: str = "info") -> None:
        if self._progress is None:
            super()._emit(line, level)
            return
        from datetime import datetime

        from mason.observe.masking import scrub

        if self.wants(level):
            from rich.text import Text

            self._progress.console.print(Text.from_ansi(f"{datetime.now():%H:%M:%S}  {scrub(line)}"),
                                         soft_wrap=True, highlight=False)

    def _describe_running(self) -> str:
        names = list(self._running.values())
        if not names:
            return ""
        shown = ", ".join(names[:3])
        return f"running {shown}" + (f" (+{len(names) - 3})" if len(names) > 3 else "")

    def node_started(self, info: NodeInfo) -> None:
        with self._state_lock:
            self._running[info.unique_id] = info.name
            if self._progress is not None:
                self._progress.update(self._task, description=self._describe_running())
        if self.debug_on:
            super().node_started(info)

    def node_finished(self, event: NodeFinished) -> None:
        super().node_finished(event)
        with self._state_lock:
            self._running.pop(event.info.unique_id, None)
            if self._progress is not None:
                self._progress.update(self._task, advance=1, description=self._describe_running())

