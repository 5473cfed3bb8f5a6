"""One model compared: its two relations found, their columns compared, its rows compared by key (or as
row hashes without one), samples fetched. Everything is computed by the warehouse; Python reads counts and
at most `sample` rows per finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mason.diff.result import (
    ERROR,
    MISSING_IN_DEV,
    MISSING_IN_PROD,
    SKIPPED,
    ColumnDiff,
    ModelDiff,
    RowDiff,
    SchemaDiff,
)
from mason.diff.sql import ColumnPair, DiffSQL
from mason.diff.state import KeyHints, Place
from mason.errors import MasonError


@dataclass(frozen=True, slots=True)
class Options:
    sample: int = 5
    primary_key: tuple[str, ...] = ()  # for every model (`--primary-key a,b`)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per model name (`--primary-key m=a,b`)
    ignore_columns: frozenset[str] = frozenset()  # lower-cased
    state_database: str | None = None  # read prod's relations in this database instead (an attached file)


@dataclass(frozen=True, slots=True)
class Model:
    unique_id: str
    name: str
    dev: Place
    prod: Place | None  # None: not in the state manifest
    hints: Sequence[KeyHints]  # the current parse's, then the state's


def compare(adapter: Any, dialect: Any, model: Model, options: Options) -> ModelDiff:
    out = ModelDiff(model.unique_id, model.name)
    try:
        return _compare(adapter, dialect, model, options, out).settle()
    except MasonError as exc:
        out.status, out.error = ERROR, exc.render()
        return out


def _relation(adapter: Any, place: Place, database: str | None = None) -> Any:
    return adapter.make_relation(database or place.database, place.schema, place.identifier)


def _compare(adapter: Any, dialect: Any, model: Model, options: Options, out: ModelDiff) -> ModelDiff:
    if not model.dev.has_relation:
        out.status = SKIPPED
        out.notes.append(f"{model.dev.materialized or 'no'} model: no relation to compare")
        return out
    dev = _relation(adapter, model.dev)
    out.dev_relation = dev.render()
    if model.prod is None or not model.prod.has_relation:
        out.status = MISSING_IN_PROD
        out.notes.append("not in the state's manifest: a new model" if model.prod is None
                         else f"{model.prod.materialized} in the state: no relation there")
        return out
    prod = _relation(adapter, model.prod, options.state_database)
    out.prod_relation = prod.render()
    found_prod = adapter.get_relation(prod.database, prod.schema or "", prod.identifier or "")
    found_dev = adapter.get_relation(dev.database, dev.schema or "", dev.identifier or "")
    if found_prod is None:
        out.status = MISSING_IN_PROD
        note = f"{out.prod_relation} does not exist"
        current = getattr(adapter, "database", None)
        if prod.database and current and prod.database.lower() != str(current).lower() \
                and not options.state_database:
            note += (f" (or database {prod.database!r} is not reachable from this target: pass --state-target "
                     "with the profile output that built the state)")
        out.notes.append(note)
    if found_dev is None:
        out.status = MISSING_IN_DEV
        out.notes.append(f"{out.dev_relation} does not exist: build it in this target first")
    if found_prod is None or found_dev is None:
        return out
    prod_cols = [c for c in adapter.get_columns(found_prod) if c.name.lower() not in options.ignore_columns]
    dev_cols = [c for c in adapter.get_columns(found_dev) if c.name.lower() not in options.ignore_columns]
    out.schema, pairs = _schema(prod_cols, dev_cols)
    if not pairs:
        out.notes.append("no column in common: rows not compared")
        return out
    key = _choose_key(model, options, pairs, out)
    sql = DiffSQL(dialect, out.prod_relation, out.dev_relation, tuple(p for p in pairs if p in key),
                  tuple(p for p in pairs if p not in key))
    if key and not _key_holds(adapter, sql, out):
        key = ()
    if key:
        _by_key(adapter, sql, options.sample, out)
    else:
        sql = DiffSQL(dialect, out.prod_relation, out.dev_relation, (), tuple(pairs))
        _by_hash(adapter, sql, options.sample, out)
    return out


def _schema(prod: Sequence[Any], dev: Sequence[Any]) -> tuple[SchemaDiff, list[ColumnPair]]:
    """Columns only on one side, type changes, and the columns both sides have (in dev's order)."""
    by_name = {c.name.lower(): c for c in prod}
    dev_names = {c.name.lower() for c in dev}
    diff = SchemaDiff()
    pairs = []
    for c in dev:
        p = by_name.get(c.name.lower())
        if p is None:
            diff.only_in_dev.append((c.name, c.data_type))
            continue
        pair = ColumnPair(p.name, c.name, p.data_type, c.data_type)
        pairs.append(pair)
        if pair.retyped:
            diff.type_changes.append((c.name, p.data_type, c.data_type))
    diff.only_in_prod = [(c.name, c.data_type) for c in prod if c.name.lower() not in dev_names]
    return diff, pairs


def _choose_key(model: Model, options: Options, pairs: list[ColumnPair], out: ModelDiff) -> tuple[ColumnPair, ...]:
    by_name = {p.name.lower(): p for p in pairs}
    explicit = options.keys.get(model.name) or options.primary_key
    if explicit:
        missing = [c for c in explicit if c.lower() not in by_name]
        if missing:
            raise MasonError(f"--primary-key column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                             f"not in both {out.prod_relation} and {out.dev_relation}")
        out.key, out.key_source = tuple(by_name[c.lower()].name for c in explicit), "--primary-key"
        return tuple(by_name[c.lower()] for c in explicit)
    for hints in model.hints:
        for source, cols in hints.candidates():
            if all(c.lower() in by_name for c in cols):
                out.key, out.key_source = tuple(by_name[c.lower()].name for c in cols), source
                return tuple(by_name[c.lower()] for c in cols)
    out.notes.append("no primary key found (unique_key, primary_key constraint, unique and not_null tests): "
                     "whole rows compared; name one with --primary-key")
    return ()


def _one_row(adapter: Any, sql: str) -> tuple[int, ...]:
    _, table = adapter.execute(sql, fetch=True)
    row = table.rows[0] if table is not None and table.rows else ()
    return tuple(int(v or 0) for v in row)


def _rows(adapter: Any, sql: str) -> list[tuple[Any, ...]]:
    _, table = adapter.execute(sql, fetch=True)
    return [tuple(r) for r in (table.rows if table is not None else ())]


def _key_holds(adapter: Any, sql: DiffSQL, out: ModelDiff) -> bool:
    """Whether the key is unique and never null on both sides; if not, say so (whole rows are compared)."""
    p_rows, _p_keys, p_dup, p_null, d_rows, _d_keys, d_dup, d_null = _one_row(adapter, sql.key_check())
    problems = [f"{n} key{'s' if n != 1 else ''} held by more than one row in {side}"
                for n, side in ((p_dup, "prod"), (d_dup, "dev")) if n]
    problems += [f"{n} row{'s' if n != 1 else ''} with a null key in {side}"
                 for n, side in ((p_null, "prod"), (d_null, "dev")) if n]
    if not problems:
        out.rows = RowDiff(prod=p_rows, dev=d_rows)
        return True
    out.notes.append(f"primary key ({', '.join(out.key)}) from {out.key_source} is not a key: "
                     f"{'; '.join(problems)}: whole rows compared")
    out.key, out.key_source = (), None
    return False


def _by_key(adapter: Any, sql: DiffSQL, sample: int, out: ModelDiff) -> None:
    assert out.rows is not None
    counts = _one_row(adapter, sql.by_key())
    rows = out.rows
    rows.matched, rows.only_in_prod, rows.only_in_dev, rows.changed = counts[:4]
    names = [k.name for k in sql.key]
    for column, changed in zip(sql.columns, counts[4:], strict=True):
        diff = ColumnDiff(column.name, changed)
        if changed and sample > 0:
            for r in _rows(adapter, sql.changed(column, sample)):
                diff.sample.append((dict(zip(names, r[:-2], strict=True)), r[-2], r[-1]))
        out.columns.append(diff)
    if sample > 0:
        if rows.only_in_prod:
            rows.sample_only_in_prod = [dict(zip(names, r, strict=True))
                                        for r in _rows(adapter, sql.only_in("prod", sample))]
        if rows.only_in_dev:
            rows.sample_only_in_dev = [dict(zip(names, r, strict=True))
                                       for r in _rows(adapter, sql.only_in("dev", sample))]


def _by_hash(adapter: Any, sql: DiffSQL, sample: int, out: ModelDiff) -> None:
    p_rows, d_rows, only_prod, only_dev = _one_row(adapter, sql.by_hash())
    out.rows = rows = RowDiff(prod=p_rows, dev=d_rows, only_in_prod=only_prod, only_in_dev=only_dev)
    if sample <= 0 or not (only_prod or only_dev):
        return
    for side, *values, extra in _rows(adapter, sql.hash_samples(sample)):
        names = [c.prod if side == "prod" else c.dev for c in sql.columns]
        into = rows.sample_only_in_prod if side == "prod" else rows.sample_only_in_dev
        into.append({"row": dict(zip(names, values, strict=True)), "copies": abs(int(extra))})
