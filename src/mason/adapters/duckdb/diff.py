"""The table diff's spellings on DuckDB: the common ones, and the state's database file attached read-only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mason.adapters.diff_sql import DiffDialect


class DuckDBDiffDialect(DiffDialect):
    def row_hash(self, exprs: Sequence[str]) -> str:
        """DuckDB's own hash of the values (no text built per row: five times faster than md5 over text),
        twice, the columns in both orders, as one 128-bit number."""
        if not exprs:
            return "0"
        forward = f"hash({', '.join(exprs)})"
        if len(exprs) == 1:
            return forward
        backward = f"hash({', '.join(reversed(exprs))})"
        return f"((cast({forward} as uhugeint) << 64) | cast({backward} as uhugeint))"

    def reach(self, target: Any) -> str | None:
        """Attach the state target's database file (read-only) unless this connection has it already: under
        its own name (the database the state manifest names) or, when that name is taken by another file,
        as `mason_state`."""
        super().reach(target)
        path = str(target.credentials.get("path") or ":memory:")
        if path == ":memory:" or path.startswith(":memory:"):
            return None
        if not path.startswith(("md:", "s3://", "http")):
            path = str((Path.cwd() / path).resolve())
        _, table = self.adapter.execute("select database_name, path from duckdb_databases()", fetch=True)
        attached = {str(name): str(where or "") for name, where in (table.rows if table else ())}
        for name, where in attached.items():
            if where and _same_file(where, path):
                return None if name == target.database else name
        alias = target.database if target.database not in attached else "mason_state"
        literal = "'" + path.replace("'", "''") + "'"
        self.adapter.execute(f"attach if not exists {literal} as {self.quote(alias)} (read_only)")
        return None if alias == target.database else alias


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b
