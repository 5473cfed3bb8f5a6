"""Query results as dbt's Jinja expects them (agate-compatible: columns, rows, column_names, print_table)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


class Row(tuple):  # type: ignore[type-arg]
    """A row readable by position or by column name."""

    _names: tuple[str, ...] = ()

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError as exc:
                raise KeyError(key) from exc
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def keys(self) -> tuple[str, ...]:
        return self._names

    def values(self) -> tuple[Any, ...]:
        return tuple(self)

    def items(self) -> list[tuple[str, Any]]:
        return list(zip(self._names, self))

    def dict(self) -> dict[str, Any]:
        return dict(zip(self._names, self))


class TableColumn:
    def __init__(self, name: str, index: int, table: Table, data_type: str | None = None) -> None:
        self.name = name
        self._index = index
        self._table = table
        self.data_type = data_type

    def values(self) -> tuple[Any, ...]:
        return tuple(r[self._index] for r in self._table.rows)

    def values_distinct(self) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(self.values()))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values())

    def __len__(self) -> int:
        return len(self._table.rows)

    def __getitem__(self, i: int) -> Any:
        return self._table.rows[i][self._index]


class Columns(tuple):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            for col in self:
                if col.name == key:
                    return col
            raise KeyError(key)
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return [c.name for c in self]

    def values(self) -> tuple[TableColumn, ...]:
        return tuple(self)

    def items(self) -> list[tuple[str, TableColumn]]:
        return [(c.name, c) for c in self]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def dict(self) -> dict[str, TableColumn]:
        return {c.name: c for c in self}


class Table:
    def __init__(self, column_names: Sequence[str], rows: Sequence[Sequence[Any]],
                 column_types: Sequence[str] | None = None) -> None:
        self.column_names = tuple(column_names)
        self.column_types = tuple(column_types or ())
        self.rows = tuple(Row(r, self.column_names) for r in rows)
        types: list[str | None] = list(column_types) if column_types else [None] * len(self.column_names)
        self.columns = Columns(TableColumn(n, i, self, types[i] if i < len(types) else None)
                               for i, n in enumerate(self.column_names))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def print_table(self, max_rows: int = 20, max_columns: int = 6, output: Any = None,
                    max_column_width: int = 20, **kwargs: Any) -> None:
        print(format_table(self, max_rows, max_column_width), file=output)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.dict() for r in self.rows]

    def limit(self, n: int) -> Table:
        return Table(self.column_names, [tuple(r) for r in self.rows[:n]], self.column_types)


def format_table(table: Table, max_rows: int | None = None, max_width: int = 40) -> str:
    rows = table.rows if max_rows is None else table.rows[:max_rows]

    def cell(v: Any) -> str:
        text = "" if v is None else str(v)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in r] for r in rows]
    widths = [len(n) for n in table.column_names]
    for r in cells:
        for i, v in enumerate(r):
            widths[i] = max(widths[i], len(v))
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    head = "| " + " | ".join(n.ljust(w) for n, w in zip(table.column_names, widths)) + " |"
    body = ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |" for r in cells]
    return "\n".join([head, sep, *body])
