"""The table diff's spellings on PostgreSQL: text casts for types without equality, one database only."""

from __future__ import annotations

from typing import Any

from mason.adapters.diff_sql import DiffDialect
from mason.errors import UsageError

# types with no `=` operator: compared (and hashed) as their text
_NO_EQUALITY = ("json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle")


class PostgresDiffDialect(DiffDialect):
    text_type = "text"

    def comparable(self, expr: str, dtype: str) -> str:
        base = dtype.lower().split("(")[0].strip()
        return self.as_text(expr) if base.rstrip("[]") in _NO_EQUALITY else expr

    def reach(self, target: Any) -> str | None:
        super().reach(target)
        if target.database and target.database != self.adapter.database:
            raise UsageError(
                f"the state's target {target.target_name!r} is database {target.database!r}; this connection is "
                f"to {self.adapter.database!r}, and PostgreSQL cannot query across databases",
                hint="build production and the pull request into two schemas of one database")
        return None
