"""Seed column type inference, as dbt does it, decided from per-column facts the warehouse computed.

dbt tries, per column and over every non-null value: integer, number (an integer column when every number is
whole, as ``100.00`` or ``1e3``: dbt's adapters type a number column with no decimal places as integer),
date (``%Y-%m-%d``), datetime
(``%Y-%m-%d %H:%M:%S``), ISO 8601 datetime, boolean (``true``/``false``, any case), and falls back to text.
The first kind every value fits wins; a column with no values at all is an integer column. ``""`` and
``null`` (any case, surrounding blanks ignored) are NULL.

Mason computes the facts with SQL aggregates (see :mod:`mason.execute.seeds`) instead of testing values one
by one in Python; this module only turns those facts into a kind and a SQL type.
"""

from __future__ import annotations

from dataclasses import dataclass

# Spellings that load as NULL, compared after trimming and lower-casing.
NULL_SPELLINGS: tuple[str, ...] = ("", "null")

# Kinds, in the order dbt tries them.
INTEGER = "integer"
INTEGRAL = "integral"  # numbers that are all whole (``100.00``): an integer column, as dbt gives it
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
ISO_DATETIME = "iso_datetime"
BOOLEAN = "boolean"
TEXT = "text"
OVERRIDE = "override"  # the column's type comes from the seed's column_types config
DIRECT = "direct"  # a configured type the CSV reader parsed the values into itself (see seeds._direct)

INFERENCE_ORDER: tuple[str, ...] = (INTEGER, INTEGRAL, NUMBER, DATE, DATETIME, ISO_DATETIME, BOOLEAN, TEXT)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class ColumnFacts:
    """What holds for every non-null value of one CSV column (all True when the column has no values)."""

    non_null: int = 0
    integer: bool = True  # optional sign and digits only
    fits_int32: bool = True
    fits_int64: bool = True
    fits_int128: bool = True
    number: bool = True
    date: bool = True
    datetime: bool = True
    iso_datetime: bool = True
    boolean: bool = True
    integral: bool = True  # a finite number with no fractional part, below 2**53 in size


# whole numbers above this may have lost their fraction on the way through a double: loaded as DOUBLE
INTEGRAL_LIMIT = 2**53


@dataclass(frozen=True, slots=True)
class SeedColumnType:
    kind: str
    sql_type: str


def infer_column_type(facts: ColumnFacts) -> SeedColumnType:
    """The kind and DuckDB/PostgreSQL-style SQL type dbt would pick for a column with these facts.

    dbt stops at INTEGER even when a value does not fit 32 bits (the load then fails); Mason widens to
    BIGINT (and HUGEINT past 64 bits) instead. Numbers load as DOUBLE.
    """
    if facts.non_null == 0:
        return SeedColumnType(INTEGER, "INTEGER")
    if (facts.integer or facts.integral and facts.number) and facts.fits_int128:
        kind = INTEGER if facts.integer else INTEGRAL
        if facts.fits_int32:
            return SeedColumnType(kind, "INTEGER")
        if facts.fits_int64:
            return SeedColumnType(kind, "BIGINT")
        return SeedColumnType(kind, "HUGEINT")
    if facts.number:
        return SeedColumnType(NUMBER, "DOUBLE")
    if facts.date:
        return SeedColumnType(DATE, "DATE")
    if facts.datetime:
        return SeedColumnType(DATETIME, "TIMESTAMP")
    if facts.iso_datetime:
        return SeedColumnType(ISO_DATETIME, "TIMESTAMP")
    if facts.boolean:
        return SeedColumnType(BOOLEAN, "BOOLEAN")
    return SeedColumnType(TEXT, "VARCHAR")


def integer_type(lowest: int | None, highest: int | None) -> str:
    """The narrowest of INTEGER, BIGINT, HUGEINT holding every value between ``lowest`` and ``highest``."""
    lo = 0 if lowest is None else int(lowest)
    hi = 0 if highest is None else int(highest)
    if lo >= INT32_MIN and hi <= INT32_MAX:
        return "INTEGER"
    if lo >= INT64_MIN and hi <= INT64_MAX:
        return "BIGINT"
    return "HUGEINT"


def match_column_types(header: list[str], column_types: dict[str, str]) -> dict[str, str]:
    """column_types keyed by the header's spelling: exact names first, then case-insensitive matches.

    Keys naming no CSV column are ignored, as dbt ignores them.
    """
    out: dict[str, str] = {}
    lowered: dict[str, str] = {}
    for name in header:
        lowered.setdefault(name.lower(), name)
    for key, value in column_types.items():
        if value is None:
            continue
        key = str(key)
        if key in header:
            out[key] = str(value)
    for key, value in column_types.items():
        if value is None:
            continue
        match = lowered.get(str(key).lower())
        if match is not None and match not in out:
            out[match] = str(value)
    return out
