"""The few spellings a metric query's SQL needs that differ between warehouses.

The compiler writes each warehouse's SQL itself rather than writing DuckDB's and transpiling it: the
expressions users write in semantic models and filters are already in their warehouse's dialect (as in any
dbt model) and pass through untouched, and a transpile per query would cost more than the compile itself.
A warehouse not listed here gets DuckDB's spelling, transpiled by sqlglot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str  # sqlglot's name for it
    double: str = "double precision"
    spark: bool = False

    def interval(self, window: str) -> str:
        """'7 day' as an interval literal."""
        count, unit = window.split()
        return f"interval {int(count)} {unit}" if self.spark else f"interval '{int(count)} {unit}'"

    def percentile(self, fraction: float, expr: str) -> str:
        if self.spark:
            return f"percentile({expr}, {fraction})"
        return f"percentile_cont({fraction}) within group (order by {expr})"

    def same(self, left: str, right: str) -> str:
        """Null-safe equality (group-by keys may be null)."""
        return f"{left} <=> {right}" if self.spark else f"{left} is not distinct from {right}"


DIALECTS = {
    "duckdb": Dialect("duckdb", double="double"),
    "postgres": Dialect("postgres"),
    "spark": Dialect("spark", double="double", spark=True),
}


def writing(name: str | None) -> tuple[Dialect, bool]:
    """The dialect to write for `name`, and whether the result must still be transpiled to it."""
    if name is None or name in DIALECTS:
        return DIALECTS[name or "duckdb"], False
    return DIALECTS["duckdb"], True
