"""An adapter connected on first use. `mason compile` renders without touching the warehouse unless a
model's Jinja introspects it (`run_query`, `adapter.get_columns_in_relation`, ...), as dbt's compile does
when it needs to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LazyAdapter:
    def __init__(self, adapter_type: str, open_adapter: Callable[[], Any]) -> None:
        self.type = adapter_type
        self._open = open_adapter
        self._adapter: Any = None
        self._lock = threading.Lock()

    def _connected(self) -> Any:
        if self._adapter is None:
            with self._lock:
                if self._adapter is None:
                    self._adapter = self._open()
        return self._adapter

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._connected(), name)

    @property
    def connected(self) -> bool:
        return self._adapter is not None

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
