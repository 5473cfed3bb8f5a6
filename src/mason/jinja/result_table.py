"""Query results in Jinja (`run_query`, `load_result(...).table`): the adapter's Table with the rest of the
agate Table API macros use (`table[0]`, `select`, `where`, `order_by`, `print_json`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from mason.adapters.table import Row, Table


class ResultTable(Table):
    @classmethod
    def of(cls, table: Table | None) -> ResultTable:
        if table is None:
            return cls([], [])
        if isinstance(table, ResultTable):
            return table
        return cls(table.column_names, [tuple(r) for r in table.rows], table.column_types or None)

    def _with_rows(self, rows: Sequence[Sequence[Any]], names: Sequence[str] | None = None,
                   types: Sequence[str] | None = None) -> ResultTable:
        return ResultTable(names if names is not None else self.column_names, rows,
                           types if types is not None else (self.column_types or None))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._with_rows([tuple(r) for r in self.rows[index]])
        return self.rows[index]

    def select(self, key: str | Sequence[str]) -> ResultTable:
        names = [key] if isinstance(key, str) else list(key)
        positions = [self.column_names.index(n) for n in names]
        types = [self.column_types[i] for i in positions] if self.column_types else None
        return self._with_rows([tuple(r[i] for i in positions) for r in self.rows], names, types)

    def where(self, test: Callable[[Row], Any]) -> ResultTable:
        return self._with_rows([tuple(r) for r in self.rows if test(r)])

    def order_by(self, key: str | Sequence[str] | Callable[[Row], Any], reverse: bool = False) -> ResultTable:
        if callable(key):
            sort_key = key
        else:
            names = [key] if isinstance(key, str) else list(key)

            def sort_key(row: Row) -> Any:
                return tuple((row[n] is None, row[n]) for n in names)

        return self._with_rows([tuple(r) for r in sorted(self.rows, key=sort_key, reverse=reverse)])

    def limit(self, start_or_stop: int | None = None, stop: int | None = None, step: int | None = None) -> ResultTable:
        if stop is None and step is None:
            return self._with_rows([tuple(r) for r in self.rows[:start_or_stop]])
        return self._with_rows([tuple(r) for r in self.rows[start_or_stop:stop:step]])

    def print_json(self, output: Any = None, **kwargs: Any) -> None:
        print(json.dumps(self.to_dicts(), default=str, **{k: v for k, v in kwargs.items() if k == "indent"}),
              file=output)
