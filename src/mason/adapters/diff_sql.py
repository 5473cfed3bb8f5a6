"""The few spellings a table diff (`mason diff`, mason/diff/) needs that differ between warehouses.

The comparison itself is written once, in SQL every warehouse runs (a full outer join on the key with
`sum(case ...)` per column, or row hashes grouped and joined); what differs is spelled here, in the common
spelling (DuckDB's), and an adapter whose SQL differs subclasses `DiffDialect` in its own folder and hands
it out from `adapter.diff_dialect()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mason.errors import UsageError


class DiffDialect:
    text_type = "varchar"

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    def quote(self, name: str) -> str:
        return str(self.adapter.quote(name))

    def same(self, left: str, right: str) -> str:
        """Null-safe equality: two nulls are the same value."""
        return f"({left} is not distinct from {right})"

    def as_text(self, expr: str) -> str:
        return f"cast({expr} as {self.text_type})"

    def comparable(self, expr: str, dtype: str) -> str:
        """`expr` as it can be compared with `=` (types without equality are compared as text)."""
        return expr

    def row_hash(self, exprs: Sequence[str]) -> str:
        """One value per row that differs when any value differs (null differs from every string).

        md5 over the values as text, each marked present ('v' prefix) or null ('n'), joined by a control
        character: 128 bits, so two different rows colliding is out of the question at any table size."""
        parts = ", ".join(f"coalesce('v' || {self.as_text(e)}, 'n')" for e in exprs) or "''"
        return f"md5(concat_ws(chr(31), {parts}))"

    def reach(self, target: Any) -> str | None:
        """Make the database another profile output (the state's target) builds into readable from this
        connection; the name to read it under, or None for the database as the state manifest names it."""
        if target.type != self.adapter.type:
            raise UsageError(f"--state-target {target.target_name!r} is a {target.type} output; this target is "
                             f"{self.adapter.type}: both sides of a diff must be in one warehouse")
        return None
