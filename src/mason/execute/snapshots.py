"""The snapshot materialization: type-2 slowly changing dimension tables with dbt's semantics.

First run: the table is the snapshot query's rows plus meta columns (scd id, updated at, valid from,
valid to, and the deleted flag when `hard_deletes: new_record`). Later runs compare the query to the
*current* rows of the table (valid to NULL, or the `dbt_valid_to_current` value):

* new keys get a first version;
* changed rows (timestamp strategy: the source `updated_at` is newer than the current version's valid
  from; check strategy: a checked column differs, NULL-safe) close the current version at the new
  version's valid from and insert the new version;
* keys missing from the query are left alone (`ignore`), closed at the snapshot time (`invalidate`), or
  closed and followed by a deletion record flagged `'True'` (`new_record`); a key that comes back after
  a deletion record gets a new version and closes the deletion record;
* columns the query gained are added to the table (columns it lost stay, NULL in new versions).

Every run is one transaction: a failure rolls back and leaves the table exactly as it was.

The SQL is built from a small dialect object so PostgreSQL and Spark variants can be added next to the
DuckDB one without touching the algorithm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mason.adapters.base import AdapterResponse
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.adapters.snapshot_sql import SnapshotDialect
from mason.errors import CompileError, Span
from mason.nodes.nodes import Node
from mason.project.configs import hard_deletes_mode

META_KEYS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted")
STRATEGIES = ("timestamp", "check")

_TRAILING = re.compile(r"[\s;]+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")

# Helper columns carried through the staging tables; never written to the snapshot table.
_KEY = "__mason_key_{}"
_UPD = "__mason_updated_at"
_PRESENT = "__mason_present"


# -- configuration ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetaNames:
    scd_id: str = "dbt_scd_id"
    updated_at: str = "dbt_updated_at"
    valid_from: str = "dbt_valid_from"
    valid_to: str = "dbt_valid_to"
    is_deleted: str = "dbt_is_deleted"


@dataclass(frozen=True, slots=True)
class SnapshotConfig:
    strategy: str
    unique_key: tuple[str, ...]
    updated_at: str | None
    check_cols: tuple[str, ...] | None  # None = all columns of the query
    hard_deletes: str
    valid_to_current: str | None
    names: MetaNames


def _error(node: Node, message: str, hint: str | None = None) -> CompileError:
    where = node.original_file_path or node.path
    return CompileError(f"snapshot '{node.name}' ({where}): {message}", span=Span(where), hint=hint)


def snapshot_config(node: Node) -> SnapshotConfig:
    """Read and validate the node's snapshot config; raises CompileError on anything unusable."""
    cfg = node.config or {}

    strategy = cfg.get("strategy")
    if not strategy:
        raise _error(node, "no 'strategy' configured", hint="set strategy: timestamp or strategy: check")
    strategy = str(strategy).lower()
    if strategy not in STRATEGIES:
        raise _error(node, f"unknown snapshot strategy {strategy!r}",
                     hint="supported strategies are 'timestamp' and 'check'")

    raw_key = cfg.get("unique_key")
    keys: tuple[str, ...]
    if isinstance(raw_key, str):
        keys = (raw_key.strip(),) if raw_key.strip() else ()
    elif isinstance(raw_key, list | tuple):
        keys = tuple(str(k).strip() for k in raw_key if k is not None and str(k).strip())
        if len(keys) != len(raw_key):
            raise _error(node, f"unique_key contains an empty entry: {list(raw_key)!r}")
    elif raw_key is None:
        keys = ()
    else:
        raise _error(node, f"unique_key must be a column name or a list of them, not {raw_key!r}")
    if not keys:
        raise _error(node, "no 'unique_key' configured",
                     hint="snapshots need the column (or list of columns) identifying a record")

    updated_at = cfg.get("updated_at")
    updated_at = str(updated_at).strip() if updated_at not in (None, "") else None
    if strategy == "timestamp" and not updated_at:
        raise _error(node, "the timestamp strategy needs an 'updated_at' column",
                     hint="set updated_at: <column>, or use strategy: check")

    check_cols: tuple[str, ...] | None = None
    if strategy == "check":
        raw_cols = cfg.get("check_cols")
        if raw_cols is None or raw_cols == [] or raw_cols == "":
            raise _error(node, "the check strategy needs 'check_cols'",
                         hint="set check_cols: all, or a list of columns")
        if isinstance(raw_cols, str):
            check_cols = None if raw_cols.lower() == "all" else (raw_cols,)
        elif isinstance(raw_cols, list | tuple):
            check_cols = tuple(str(c) for c in raw_cols)
        else:
            raise _error(node, f"check_cols must be 'all' or a list of columns, not {raw_cols!r}")

    try:
        hard = hard_deletes_mode(cfg.get("hard_deletes"), cfg.get("invalidate_hard_deletes"))
    except CompileError as exc:
        raise _error(node, exc.message, hint=exc.hint) from None

    current = cfg.get("dbt_valid_to_current")
    current = str(current) if current not in (None, "") else None

    overrides = cfg.get("snapshot_meta_column_names") or {}
    if not isinstance(overrides, dict):
        raise _error(node, f"snapshot_meta_column_names must be a mapping, not {overrides!r}")
    unknown = sorted(set(overrides) - set(META_KEYS))
    if unknown:
        raise _error(node, f"unknown snapshot_meta_column_names key(s): {', '.join(map(str, unknown))}",
                     hint=f"allowed keys are {', '.join(META_KEYS)}")
    names = MetaNames(*(str(overrides.get(k) or k) for k in META_KEYS))
    all_names = [n.lower() for n in (names.scd_id, names.updated_at, names.valid_from, names.valid_to,
                                     names.is_deleted)]
    if len(set(all_names)) != len(all_names):
        raise _error(node, "snapshot_meta_column_names gives two meta columns the same name")

    return SnapshotConfig(strategy, keys, updated_at, check_cols, hard, current, names)


# -- dialects --------------------------------------------------------------------------------------------


def dialect_for(adapter: Any) -> SnapshotDialect:
    """The adapter's snapshot SQL (adapters/<warehouse>/: `snapshot_dialect()`)."""
    make = getattr(adapter, "snapshot_dialect", None)
    if make is None:
        raise NotImplementedError(f"snapshots are not implemented for the {adapter.type} adapter yet")
    return make()  # type: ignore[no-any-return]


# -- the materialization ---------------------------------------------------------------------------------


def run_snapshot(adapter: Any, node: Node, source_sql: str, relation: Relation, *,
                 now_sql: str = "now()") -> NodeOutcome:
    """Build or update the snapshot table `relation` from `source_sql`, atomically."""
    from mason.adapters.relation_ops import check_identifier

    cfg = snapshot_config(node)
    try:
        dialect = dialect_for(adapter)
    except NotImplementedError as exc:
        raise _error(node, str(exc)) from None
    check_identifier(adapter, relation, node)
    sql = _TRAILING.sub("", source_sql)
    relation = relation.incorporate(type="table")
    schema = relation.schema or ""

    adapter.begin()
    try:
        existing = adapter.get_relation(relation.database, schema, relation.identifier or "")
        if existing is None:
            adapter.create_schema(relation.database, schema)
        _, now_table = adapter.execute(dialect.now_query(now_sql), fetch=True)
        if not now_table or not now_table.rows or now_table.rows[0][0] is None:
            raise _error(node, f"the snapshot time query {now_sql!r} returned no value")
        build = _Build(adapter, dialect, node, cfg, relation, dialect.timestamp_literal(now_table.rows[0][0]))
        rows = build.create(sql) if existing is None else build.update(sql)
        adapter.commit()
    except BaseException:
        adapter.rollback()
        adapter.cache.clear()
        raise
    adapter.cache.add(relation)
    return NodeOutcome(status="success", message="OK", response=AdapterResponse("OK", "OK", rows),
                       relation_name=relation.render())


class _Build:
    def __init__(self, adapter: Any, dialect: SnapshotDialect, node: Node, cfg: SnapshotConfig,
                 relation: Relation, now: str) -> None:
        self.adapter = adapter
        self.d = dialect
        self.node = node
        self.cfg = cfg
        self.relation = relation
        self.target = relation.render()
        self.now = now
        self.temps: list[str] = []
        n = cfg.names
        q = dialect.quote
        self.scd, self.upd, self.vf, self.vt, self.deleted = (
            q(n.scd_id), q(n.updated_at), q(n.valid_from), q(n.valid_to), q(n.is_deleted))
        self.new_record = cfg.hard_deletes == "new_record"

    # helpers
    def run(self, sql: str) -> int:
        response, _ = self.adapter.execute(sql)
        return max(int(response.rows_affected), 0)

    def temp(self, purpose: str, select: str) -> str:
        name = self.d.temp_table(purpose)
        self.run(self.d.create_temp_table(name, select))
        self.temps.append(name)
        return name

    def drop_temps(self) -> None:
        for name in reversed(self.temps):
            self.run(self.d.drop_temp_table(name))
        self.temps.clear()

    def current_filter(self, prefix: str = "") -> str:
        col = f"{prefix}{self.vt}"
        if self.cfg.valid_to_current is None:
            return f"{col} is null"
        return f"({col} is null or {col} = {self.cfg.valid_to_current})"

    def valid_to_initial(self, valid_from: str) -> str:
        if self.cfg.valid_to_current is None:
            return f"nullif({valid_from}, {valid_from})"
        return f"coalesce(nullif({valid_from}, {valid_from}), {self.cfg.valid_to_current})"

    def key_exprs(self) -> list[str]:
        return [f"({k})" for k in self.cfg.unique_key]

    def updated_at_expr(self) -> str:
        return f"({self.cfg.updated_at})" if self.cfg.updated_at else self.now

    def stage_source(self, sql: str, first: bool = False) -> tuple[str, list[tuple[str, str]]]:
        """Evaluate the snapshot query once into a temp table; validate the config against its columns
        (check_cols only on later runs: like dbt, the first run does not read them)."""
        src = self.temp("source", f"select * from (\n{sql}\n) as snapshot_query")
        columns = self.d.columns(src)
        names = {c.lower() for c, _ in columns}
        for meta in (self.cfg.names.scd_id, self.cfg.names.updated_at, self.cfg.names.valid_from,
                     self.cfg.names.valid_to) + ((self.cfg.names.is_deleted,) if self.new_record else ()):
            if meta.lower() in names:
                raise _error(self.node, f"the snapshot query returns a column named {meta!r}, which is a "
                                        "snapshot meta column",
                             hint="rename it in the query, or rename the meta column with "
                                  "snapshot_meta_column_names")
        for kind, value in [("unique_key", k) for k in self.cfg.unique_key] + [("updated_at", self.cfg.updated_at)]:
            if value and _IDENT.match(value) and value.lower() not in names:
                raise _error(self.node, f"{kind} {value!r} is not a column of the snapshot query",
                             hint=f"the query returns: {', '.join(c for c, _ in columns)}")
        if self.cfg.check_cols is not None and not first:
            missing = [c for c in self.cfg.check_cols if c.lower() not in names]
            if missing:
                raise _error(self.node, f"check_cols {', '.join(map(repr, missing))} "
                                        f"{'is' if len(missing) == 1 else 'are'} not in the snapshot query",
                             hint=f"the query returns: {', '.join(c for c, _ in columns)}")
        return src, columns

    # first run
    def create(self, sql: str) -> int:
        src, _ = self.stage_source(sql, first=True)
        upd = self.updated_at_expr()
        select = [
            "select *,",
            f"  {self.d.hash([*self.key_exprs(), upd])} as {self.scd},",
            f"  {upd} as {self.upd},",
            f"  {upd} as {self.vf},",
            f"  {self.valid_to_initial(upd)} as {self.vt}",
        ]
        if self.new_record:
            select[-1] += ","
            select.append(f"  {self.d.text_literal('False')} as {self.deleted}")
        select.append(f"from {src}")
        self.run(f"create table {self.target} as\n" + "\n".join(select))
        _, table = self.adapter.execute(f"select count(*) from {self.target}", fetch=True)
        self.drop_temps()
        return int(table.rows[0][0]) if table and table.rows else 0

    # later runs
    def update(self, sql: str) -> int:
        d, cfg = self.d, self.cfg
        src, src_cols = self.stage_source(sql)

        # columns the query gained (and the deleted flag, if new_record was switched on later)
        existing = {c.name.lower(): c.name for c in self.adapter.get_columns(self.relation)}
        # like dbt, refuse a table lacking a configured meta column (renamed meta columns, or
        # hard_deletes: new_record switched on after the table was built) instead of guessing
        wanted_meta = [cfg.names.scd_id, cfg.names.updated_at, cfg.names.valid_from, cfg.names.valid_to]
        if self.new_record:
            wanted_meta.append(cfg.names.is_deleted)
        missing = [m for m in wanted_meta if m.lower() not in existing]
        if missing:
            raise _error(self.node, f"the snapshot table {self.target} is missing configured column(s) "
                                    f"{', '.join(map(repr, missing))}",
                         hint="the snapshot's meta columns or hard_deletes changed since the table was built; "
                              "add or rename the columns in the table, or rebuild it")
        for name, dtype in src_cols:
            if name.lower() not in existing:
                self.run(d.add_column(self.target, d.quote(name), dtype))
                existing[name.lower()] = name

        keys = self.key_exprs()
        key_cols = [_KEY.format(i) for i in range(len(keys))]
        key_select = ", ".join(f"{k} as {c}" for k, c in zip(keys, key_cols))
        source = (f"select *, {key_select}, {self.updated_at_expr()} as {_UPD}, 1 as {_PRESENT} "
                  f"from {src}")
        current = (f"select *, {key_select}, 1 as {_PRESENT} from {self.target} "
                   f"where {self.current_filter()}")
        join = " and ".join(f"s.{c} = c.{c}" for c in key_cols)

        if cfg.strategy == "timestamp":
            changed = f"c.{self.vf} < s.{_UPD}"
        else:
            wanted = cfg.check_cols if cfg.check_cols is not None else [c for c, _ in src_cols]
            by_lower = {c.lower(): c for c, _ in src_cols}
            checks = [d.distinct(f"c.{d.quote(existing[c.lower()])}", f"s.{d.quote(by_lower[c.lower()])}")
                      for c in wanted]
            changed = "(" + " or ".join(checks) + ")"
        if self.new_record:
            changed = f"({changed} or c.{self.deleted} = {d.text_literal('True')})"

        src_names = [c for c, _ in src_cols]
        inserts = self.temp("inserts", (
            f"select {', '.join('s.' + d.quote(c) for c in src_names)}, s.{_UPD}, "
            f"{', '.join('s.' + c for c in key_cols)}\n"
            f"from ({source}) as s\nleft join ({current}) as c on {join}\n"
            f"where c.{_PRESENT} is null or {changed}"
        ))
        closes = self.temp("updates", (
            f"select {', '.join('c.' + c for c in key_cols)}, s.{_UPD} as {_UPD}\n"
            f"from ({source}) as s\njoin ({current}) as c on {join}\nwhere {changed}"
        ))
        deletes = None
        if cfg.hard_deletes != "ignore":
            not_deleted = (f" and {d.distinct('c.' + self.deleted, d.text_literal('True'))}"
                           if self.new_record else "")
            deletes = self.temp("deletes", (
                f"select c.*\nfrom ({current}) as c\nleft join ({source}) as s on {join}\n"
                f"where s.{_PRESENT} is null{not_deleted}"
            ))

        # close first (only rows current before this run), then insert the new versions
        match = " and ".join(f"{k} = x.{c}" for k, c in zip(keys, key_cols))
        affected = self.run(d.update_from(
            self.target, f"{self.vt} = x.{_UPD}", f"{closes} as x", f"{match} and {self.current_filter()}"))
        if deletes is not None:
            affected += self.run(d.update_from(
                self.target, f"{self.vt} = {self.now}",
                f"(select {', '.join(key_cols)} from {deletes}) as x",
                f"{match} and {self.current_filter()}"))

        meta_cols = [self.scd, self.upd, self.vf, self.vt] + ([self.deleted] if self.new_record else [])
        target_src = [d.quote(existing[c.lower()]) for c in src_names]
        ins_keys = [f"i.{c}" for c in key_cols]
        values = [d.hash([*ins_keys, f"i.{_UPD}"]), f"i.{_UPD}", f"i.{_UPD}", self.valid_to_initial(f"i.{_UPD}")]
        if self.new_record:
            values.append(d.text_literal("False"))
        affected += self.run(
            f"insert into {self.target} ({', '.join(target_src + meta_cols)})\n"
            f"select {', '.join([*('i.' + d.quote(c) for c in src_names), *values])}\nfrom {inserts} as i")

        if deletes is not None and self.new_record:
            meta_lower = {m.lower() for m in (cfg.names.scd_id, cfg.names.updated_at, cfg.names.valid_from,
                                              cfg.names.valid_to, cfg.names.is_deleted)}
            data_cols = [name for low, name in existing.items() if low not in meta_lower]
            del_keys = [f"x.{c}" for c in key_cols]
            values = [d.hash([*del_keys, self.now]), self.now, self.now, self.valid_to_initial(self.now),
                      d.text_literal("True")]
            affected += self.run(
                f"insert into {self.target} ({', '.join([*(d.quote(c) for c in data_cols), *meta_cols])})\n"
                f"select {', '.join([*('x.' + d.quote(c) for c in data_cols), *values])}\nfrom {deletes} as x")

        self.drop_temps()
        return affected
