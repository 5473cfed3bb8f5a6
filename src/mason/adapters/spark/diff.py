"""The table diff's spellings on Spark SQL: `<=>`, strings, maps compared as text."""

from __future__ import annotations

from mason.adapters.diff_sql import DiffDialect


class SparkDiffDialect(DiffDialect):
    text_type = "string"

    def same(self, left: str, right: str) -> str:
        return f"({left} <=> {right})"

    def comparable(self, expr: str, dtype: str) -> str:
        # map values have no equality in Spark; arrays and structs holding maps neither
        return self.as_text(expr) if "map<" in dtype.lower() else expr
