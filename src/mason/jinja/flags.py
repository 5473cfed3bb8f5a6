"""`flags` as dbt's Jinja sees it (flags.FULL_REFRESH, flags.WHICH, ...): unknown names are None."""

from __future__ import annotations

from typing import Any


class JinjaFlags:
    def __init__(self, session: Any) -> None:
        f = session.flags
        self.FULL_REFRESH = f.full_refresh
        self.STORE_FAILURES = f.store_failures
        self.WHICH = f.which
        self.EMPTY = f.empty
        self.FAIL_FAST = f.fail_fast
        self.WARN_ERROR = f.warn_error
        self.DEBUG = f.debug
        self.INDIRECT_SELECTION = f.indirect_selection
        self.THREADS = f.threads
        self._settings = f.settings

    def __getattr__(self, name: str) -> Any:
        """The other flags by dbt's name (flags.LOG_FORMAT, flags.WRITE_JSON, ...), None when unknown."""
        if name.startswith("_"):
            raise AttributeError(name)
        return self._settings.get(name.lower())
