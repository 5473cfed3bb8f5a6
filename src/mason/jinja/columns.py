"""`api.Column`: a column as packages inspect it (name, dtype, data_type, quoted, is_string(), ...)."""

from __future__ import annotations

import re
from typing import Any

from mason.errors import CompileError

_STRING = frozenset({"text", "character varying", "varchar", "character", "char", "string", "bpchar",
                     "nvarchar", "nchar"})
_INTEGER = frozenset({"integer", "int", "bigint", "smallint", "tinyint", "hugeint", "int2", "int4", "int8",
                      "ubigint", "uinteger", "usmallint", "utinyint", "uhugeint", "serial", "bigserial",
                      "long", "short", "byte", "signed"})
_FLOAT = frozenset({"real", "float", "float4", "float8", "double", "double precision"})
_NUMERIC = frozenset({"numeric", "decimal"})
# Type labels dbt translates when a column is created from a generic name.
_LABELS = {"STRING": "TEXT", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "INTEGER": "INT", "BOOLEAN": "BOOLEAN"}
_PARAMS = re.compile(r"^\s*([^(]*?)\s*\((.*)\)\s*$")


def _base(dtype: str) -> str:
    match = _PARAMS.match(dtype)
    return (match.group(1) if match else dtype).strip().lower()


def _has_params(dtype: str) -> bool:
    return _PARAMS.match(dtype) is not None


class Column:
    """dbt's Column: the raw `dtype` plus helpers; `data_type` is the full type to write in DDL."""

    __slots__ = ("name", "dtype", "char_size", "numeric_precision", "numeric_scale")

    def __init__(self, column: str, dtype: str, char_size: int | None = None, numeric_precision: int | None = None,
                 numeric_scale: int | None = None) -> None:
        self.name = column
        self.dtype = dtype
        self.char_size = char_size
        self.numeric_precision = numeric_precision
        self.numeric_scale = numeric_scale

    # -- constructors
    @classmethod
    def translate_type(cls, dtype: str) -> str:
        return _LABELS.get(dtype.upper(), dtype)

    @classmethod
    def create(cls, name: str, label_or_dtype: str) -> Column:
        return cls(name, cls.translate_type(label_or_dtype))

    @classmethod
    def from_description(cls, name: str, raw_data_type: str) -> Column:
        """`character varying(20)` → dtype `character varying`, char_size 20; `numeric(10,2)` likewise."""
        match = _PARAMS.match(raw_data_type)
        if match is None:
            return cls(name, raw_data_type)
        base, params = match.group(1).strip(), [p.strip() for p in match.group(2).split(",")]
        try:
            numbers = [int(p) for p in params if p]
        except ValueError:
            return cls(name, raw_data_type)
        if base.lower() in _STRING and len(numbers) == 1:
            return cls(name, base, char_size=numbers[0])
        if base.lower() in _NUMERIC and numbers:
            return cls(name, base, numeric_precision=numbers[0], numeric_scale=numbers[1] if len(numbers) > 1 else 0)
        return cls(name, raw_data_type)

    @classmethod
    def from_info(cls, info: Any) -> Column:
        """From the adapter layer's ColumnInfo (or anything with name/dtype)."""
        if isinstance(info, Column):
            return info
        return cls(info.name, info.dtype, getattr(info, "char_size", None), getattr(info, "numeric_precision", None),
                   getattr(info, "numeric_scale", None))

    @staticmethod
    def string_type(size: int) -> str:
        return f"character varying({size})"

    @staticmethod
    def numeric_type(dtype: str, precision: Any, scale: Any) -> str:
        if precision is None or scale is None:
            return dtype
        return f"{dtype}({precision},{scale})"

    # -- properties
    @property
    def column(self) -> str:
        return self.name

    @property
    def quoted(self) -> str:
        return '"' + self.name.replace('"', '""') + '"'

    @property
    def data_type(self) -> str:
        if _has_params(self.dtype):
            return self.dtype
        if self.is_string():
            return self.string_type(self.string_size())
        if self.is_numeric():
            return self.numeric_type(self.dtype, self.numeric_precision, self.numeric_scale)
        return self.dtype

    def is_string(self) -> bool:
        return _base(self.dtype) in _STRING

    def is_integer(self) -> bool:
        return _base(self.dtype) in _INTEGER

    def is_float(self) -> bool:
        return _base(self.dtype) in _FLOAT

    def is_numeric(self) -> bool:
        return _base(self.dtype) in _NUMERIC

    def is_number(self) -> bool:
        return self.is_integer() or self.is_float() or self.is_numeric()

    def string_size(self) -> int:
        if not self.is_string():
            raise CompileError(f"string_size() was called on column {self.name!r} of type {self.dtype}, "
                               "which is not a string type", hint="check column.is_string() first")
        if self.char_size is not None:
            return int(self.char_size)
        match = _PARAMS.match(self.dtype)
        if match and match.group(2).strip().isdigit():
            return int(match.group(2))
        return 256

    def can_expand_to(self, other_column: Column) -> bool:
        """True when both are strings and `other_column` is wider (so this one can be widened to it)."""
        if not (self.is_string() and other_column.is_string()):
            return False
        return other_column.string_size() > self.string_size()

    def literal(self, value: Any) -> str:
        return f"{value}::{self.data_type}"

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "column": self.name, "dtype": self.dtype, "data_type": self.data_type,
                "char_size": self.char_size, "numeric_precision": self.numeric_precision,
                "numeric_scale": self.numeric_scale}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Column):
            return NotImplemented
        return (self.name, self.dtype, self.char_size, self.numeric_precision, self.numeric_scale) == (
            other.name, other.dtype, other.char_size, other.numeric_precision, other.numeric_scale)

    def __hash__(self) -> int:
        return hash((self.name, self.dtype))

    def __repr__(self) -> str:
        return (f"Column(column={self.name!r}, dtype={self.dtype!r}, char_size={self.char_size!r}, "
                f"numeric_precision={self.numeric_precision!r}, numeric_scale={self.numeric_scale!r})")
