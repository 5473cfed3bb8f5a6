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

    def __getattr__(self, name: str) -> Any:
        return None
