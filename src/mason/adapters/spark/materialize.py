"""View, table and incremental models on Spark.

Spark has no transactions, so a rebuild is made as safe as Spark allows: the model's query runs first into a
table under a temporary name (a query that fails leaves the previous relation as it was), and only then is
the previous relation dropped and the new one moved into place (a rename for plain managed tables, else a
copy with the configured layout). Formats whose tables Spark replaces in one step (delta, iceberg, hudi) use
`create or replace table` and a native MERGE instead.

Table configs: ``file_format`` (default parquet), ``partition_by``, ``clustered_by`` + ``buckets``,
``location_root`` (location = root/alias), ``options``, ``tblproperties``, ``persist_docs`` (the table
comment). Incremental strategies: ``append``, ``insert_overwrite`` (dynamic partition overwrite when
``partition_by`` is set, else the whole table), ``merge`` (native on delta/iceberg/hudi; elsewhere the new
full result is computed into a temporary table and written with one ``insert overwrite``), and
``delete+insert`` (the same rewrite); ``unique_key``, ``merge_update_columns``, ``merge_exclude_columns``,
``incremental_predicates`` and ``on_schema_change`` apply. ``microbatch`` is in
:mod:`mason.adapters.spark.microbatch`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mason.adapters import building as base
from mason.adapters.base import AdapterResponse
from mason.adapters.building import BuildContext, clean_sql
from mason.adapters.outcome import NodeOutcome
from mason.adapters.relation import Relation
from mason.errors import CompileError, DatabaseError, MasonError, Span

DEFAULT_FORMAT = "parquet"
REPLACEABLE = ("delta", "iceberg", "hudi")
_MATCHED = "__mason_matched"


@dataclass
class TableConfig:
    file_format: str = DEFAULT_FORMAT
    partition_by: list[str] = field(default_factory=list)
    clustered_by: list[str] = field(default_factory=list)
    buckets: int | None = None
    location: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    tblproperties: dict[str, str] = field(default_factory=dict)
    comment: str | None = None
    column_comments: dict[str, str] = field(default_factory=dict)  # persist_docs: columns

    @property
    def replaceable(self) -> bool:
        return self.file_format in REPLACEABLE

    @property
    def plain(self) -> bool:
        """A managed table with no layout: the temporary table can simply be renamed into place."""
        return not (self.partition_by or self.clustered_by or self.location or self.options
                    or self.tblproperties or self.comment)


def _names(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def table_config(ctx: BuildContext) -> TableConfig:
    return node_table_config(ctx.node, ctx.relation)


def node_table_config(node: Any, relation: Relation) -> TableConfig:
    cfg = node.config
    where = Span(node.original_file_path)
    out = TableConfig(file_format=str(cfg.get("file_format") or DEFAULT_FORMAT).lower())
    out.partition_by = _names(cfg.get("partition_by"))
    out.clustered_by = _names(cfg.get("clustered_by"))
    buckets = cfg.get("buckets")
    if out.clustered_by:
        if buckets is None:
            raise CompileError(f"{node.unique_id}: clustered_by needs buckets", where,
                               "add buckets: N (the number of buckets) next to clustered_by")
        try:
            out.buckets = int(buckets)
        except (TypeError, ValueError):
            raise CompileError(f"{node.unique_id}: buckets must be a number, not {buckets!r}", where)
    root = cfg.get("location_root")
    if root:
        out.location = f"{str(root).rstrip('/')}/{relation.identifier}"
    out.options = {str(k): str(v) for k, v in (cfg.get("options") or {}).items()}
    out.tblproperties = {str(k): str(v) for k, v in (cfg.get("tblproperties") or {}).items()}
    docs = cfg.get("persist_docs") or {}
    if isinstance(docs, dict) and docs.get("relation") and node.description:
        out.comment = node.description
    if isinstance(docs, dict) and docs.get("columns"):
        out.column_comments = {c.name: c.description for c in (getattr(node, "columns", None) or {}).values()
                               if c.description}
    return out


def _missing_format(ctx: BuildContext, cfg: TableConfig, exc: DatabaseError) -> MasonError:
    """A file_format whose data source the session lacks (delta or iceberg without their jars), said plainly."""
    text = exc.message
    if "DATA_SOURCE_NOT_FOUND" in text or "Failed to find the data source" in text:
        return CompileError(
            f"{ctx.node.unique_id}: file_format {cfg.file_format!r} is not available on this Spark session",
            Span(ctx.node.original_file_path),
            f"add the {cfg.file_format} jars and their spark.sql.extensions / spark.sql.catalog settings to the "
            "cluster (or the profile's server_side_parameters), or use file_format: parquet")
    return exc


def comment_columns(ctx: BuildContext, cfg: TableConfig, relation: Relation) -> None:
    """persist_docs: columns, for the columns the table has."""
    if not cfg.column_comments:
        return
    have = {c.name.lower(): c.name for c in ctx.adapter.get_columns(relation)}
    for name, text in cfg.column_comments.items():
        if name.lower() in have:
            ctx.execute(f"alter table {relation.render()} alter column {ctx.adapter.quote(have[name.lower()])} "
                        f"comment {_lit(text)}")


def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_table_sql(target: Relation, cfg: TableConfig, select: str, *, replace: bool = False) -> str:
    parts = [f"create {'or replace ' if replace else ''}table {target.render()}", f"using {cfg.file_format}"]
    if cfg.options:
        parts.append("options (" + ", ".join(f"{_lit(k)} = {_lit(v)}" for k, v in cfg.options.items()) + ")")
    if cfg.partition_by:
        parts.append(f"partitioned by ({', '.join(cfg.partition_by)})")
    if cfg.clustered_by:
        parts.append(f"clustered by ({', '.join(cfg.clustered_by)}) into {cfg.buckets} buckets")
    if cfg.location:
        parts.append(f"location {_lit(cfg.location)}")
    if cfg.comment:
        parts.append(f"comment {_lit(cfg.comment)}")
    if cfg.tblproperties:
        parts.append("tblproperties (" + ", ".join(f"{_lit(k)} = {_lit(v)}" for k, v in cfg.tblproperties.items())
                     + ")")
    return "\n".join(parts) + f"\nas\n{select}"


def _sibling(relation: Relation, suffix: str) -> Relation:
    return relation.incorporate(path={"identifier": f"{relation.identifier}{suffix}"}, type="table")


def _drop(ctx: BuildContext, relation: Relation) -> None:
    kind = "view" if relation.type == "view" else "table"
    ctx.execute(f"drop {kind} if exists {relation.render()}")
    ctx.adapter.cache.drop(relation)


def _drop_quietly(ctx: BuildContext, relation: Relation) -> None:
    try:
        _drop(ctx, relation)
    except DatabaseError:
        pass


def build_table(ctx: BuildContext, old: Relation | None, select: str, cfg: TableConfig) -> AdapterResponse:
    """(Re)build the model's table from `select`, leaving `old` intact when the query fails."""
    target = ctx.relation.incorporate(type="table")
    try:
        return _build_table(ctx, old, select, cfg, target)
    except DatabaseError as exc:
        raise _missing_format(ctx, cfg, exc) from exc


def _build_table(ctx: BuildContext, old: Relation | None, select: str, cfg: TableConfig,
                 target: Relation) -> AdapterResponse:
    if cfg.replaceable:
        if old is not None and old.type == "view":
            # checked first under another name: a format the session lacks must not cost the view
            probe = _sibling(target, "__dbt_tmp")
            ctx.execute(create_table_sql(probe, cfg, f"select * from ({select}) as mason_probe where false"))
            _drop(ctx, probe)
            _drop(ctx, old)
        response, _ = ctx.execute(create_table_sql(target, cfg, select, replace=True))
        comment_columns(ctx, cfg, target)
        return response  # type: ignore[no-any-return]
    tmp = _sibling(target, "__dbt_tmp")
    _drop(ctx, tmp)  # left by a run that was killed half way
    plain = cfg.plain
    staged = cfg if plain else TableConfig(file_format=DEFAULT_FORMAT)
    response, _ = ctx.execute(create_table_sql(tmp, staged, select))
    try:
        if old is not None:
            _drop(ctx, old)
        if plain:
            ctx.execute(f"alter table {tmp.render()} rename to {target.render()}")
        else:
            ctx.execute(create_table_sql(target, cfg, f"select * from {tmp.render()}"))
    finally:
        if not plain:
            _drop_quietly(ctx, tmp)
        ctx.adapter.cache.drop(tmp)
    comment_columns(ctx, cfg, target)
    return response  # type: ignore[no-any-return]


def _outcome(ctx: BuildContext, kind: str, response: AdapterResponse) -> NodeOutcome:
    ctx.adapter.cache.add(ctx.relation.incorporate(type=kind))
    return NodeOutcome("success", "OK", AdapterResponse("OK", "OK", response.rows_affected))


# ------------------------------------------------------------------------------------------------- view
def materialize_view(ctx: BuildContext) -> NodeOutcome:
    base.ensure_schema(ctx)
    old = base.existing(ctx)
    target = ctx.relation.incorporate(type="view")
    sql = clean_sql(ctx.sql)

    def body() -> AdapterResponse:
        if old is not None and old.type != "view":
            # a table becomes a view: check the query under another name before the table goes
            probe = target.incorporate(path={"identifier": f"{target.identifier}__dbt_tmp"})
            ctx.execute(f"create or replace view {probe.render()} as\n{sql}")
            _drop(ctx, probe)
            _drop(ctx, old)
        response, _ = ctx.execute(f"create or replace view {target.render()} as\n{sql}")
        return response  # type: ignore[no-any-return]

    return _outcome(ctx, "view", base.in_transaction(ctx, body))


# ------------------------------------------------------------------------------------------------ table
def _model_select(ctx: BuildContext) -> str:
    """The model's query; with an enforced contract (checked already), its columns in the contract's order."""
    sql = clean_sql(ctx.sql)
    return ctx.contract.select(ctx.adapter.quote, sql) if ctx.contract is not None else sql


def persist_constraints(ctx: BuildContext, cfg: TableConfig, target: Relation) -> None:
    """Spark keeps no constraints: each is reported as not enforced (as dbt-spark does). Delta tables get
    their `not_null` and `check` constraints after the build, which delta enforces on later writes."""
    contract = ctx.contract
    if contract is None:
        return
    contract.unenforced(ctx.adapter)
    if cfg.file_format != "delta":
        return
    q, t = ctx.adapter.quote, target.render()
    checks = [c for c in contract.constraints if c["type"] == "check" and c["expression"]]
    for col in contract.columns:
        for c in col.constraints:
            if c["type"] == "not_null":
                ctx.execute(f"alter table {t} change column {q(col.name)} set not null")
            elif c["type"] == "check" and c["expression"]:
                checks.append({**c, "name": c["name"] or f"{col.name}_check"})
    for i, c in enumerate(checks):
        ctx.execute(f"alter table {t} add constraint {c['name'] or f'check_{i + 1}'} check ({c['expression']})")


def materialize_table(ctx: BuildContext) -> NodeOutcome:
    base.ensure_schema(ctx)
    cfg = table_config(ctx)
    old = base.existing(ctx)

    def body() -> AdapterResponse:
        response = build_table(ctx, old, _model_select(ctx), cfg)
        persist_constraints(ctx, cfg, ctx.relation.incorporate(type="table"))
        return response

    return _outcome(ctx, "table", base.in_transaction(ctx, body))


# ------------------------------------------------------------------------------------------ incremental
def materialize_incremental(ctx: BuildContext) -> NodeOutcome:
    base.ensure_schema(ctx)
    cfg = table_config(ctx)
    old = base.existing(ctx)
    if old is None or old.type != "table" or ctx.full_refresh:
        def build() -> AdapterResponse:
            response = build_table(ctx, old, _model_select(ctx), cfg)
            persist_constraints(ctx, cfg, ctx.relation.incorporate(type="table"))
            return response

        return _outcome(ctx, "table", base.in_transaction(ctx, build))
    strategy = base.strategy_of(ctx)
    target = ctx.relation.incorporate(type="table")
    adapter = ctx.adapter
    # the model's rows: a table for insert_overwrite (Spark cannot overwrite a table the query reads, and
    # models often read {{ this }}), else a temporary view
    if strategy == "insert_overwrite":
        source = _sibling(target, "__dbt_tmp")
        _drop(ctx, source)
        ctx.execute(create_table_sql(source, TableConfig(), clean_sql(ctx.sql)))
    else:
        # temporary views are named per session, not per schema: a unique name keeps two models of one name in
        # different schemas apart
        source = adapter.make_relation(None, None, f"{target.identifier}__dbt_tmp_{uuid.uuid4().hex[:8]}", "view")
        ctx.execute(f"create or replace temporary view {source.render()} as\n{clean_sql(ctx.sql)}")

    def body() -> AdapterResponse:
        columns = _schema_changes(ctx, target, source, cfg)
        _apply(ctx, strategy, target, source, columns, cfg)
        return AdapterResponse()

    try:
        base.in_transaction(ctx, body)
    finally:
        if source.schema:
            _drop_quietly(ctx, source)
        else:
            try:
                adapter.execute(f"drop view if exists {source.render()}")
            except DatabaseError:
                pass
    return _outcome(ctx, "table", AdapterResponse())


def _schema_changes(ctx: BuildContext, target: Relation, source: Relation, cfg: TableConfig) -> list[Any]:
    """on_schema_change; the target's columns afterwards, in table order."""
    adapter = ctx.adapter
    diff = base.schema_diff(ctx, target, source, type_of=lambda c: c.dtype)
    if diff.mode == "ignore" or not diff.any:
        return diff.target_cols
    mode, added, removed, changed = diff.mode, diff.added, diff.removed, diff.changed
    source_cols, have = diff.source_cols, diff.have
    q = adapter.quote
    if mode == "sync_all_columns" and (removed or changed):
        # Spark cannot drop or retype columns of most tables: rewrite the table in its new shape
        exprs = [f"cast({q(c.name)} as {c.dtype}) as {q(c.name)}" if c.name.lower() in have
                 else f"cast(null as {c.dtype}) as {q(c.name)}" for c in source_cols]
        reshaped = f"select {', '.join(exprs)} from {target.render()}"
        build_table(ctx, target, reshaped, cfg)
    elif added:
        ctx.execute(f"alter table {target.render()} add columns ("
                    + ", ".join(f"{q(c.name)} {c.dtype}" for c in added) + ")")
    adapter.cache.clear()
    return adapter.get_columns(target)  # type: ignore[no-any-return]


def _keys(ctx: BuildContext) -> list[str]:
    return base.unique_keys(ctx.node)


def _predicates(ctx: BuildContext) -> list[str]:
    found = ctx.node.config.get("incremental_predicates") or []
    return [found] if isinstance(found, str) else [str(p) for p in found]


def _source_exprs(ctx: BuildContext, columns: list[Any], source_names: set[str], alias: str = "") -> list[str]:
    """The source's value for each target column (a typed NULL where the source lacks it)."""
    q = ctx.adapter.quote
    prefix = f"{alias}." if alias else ""
    return [f"{prefix}{q(c.name)}" if c.name.lower() in source_names else f"cast(null as {c.dtype})"
            for c in columns]


def _apply(ctx: BuildContext, strategy: str, target: Relation, source: Relation, columns: list[Any],
           cfg: TableConfig) -> None:
    adapter = ctx.adapter
    source_names = {c.name.lower() for c in adapter.get_columns(source)}
    t, s = target.render(), source.render()
    select_all = f"select {', '.join(_source_exprs(ctx, columns, source_names))} from {s}"
    keys = _keys(ctx)
    if strategy == "append" or (strategy in ("merge", "delete+insert") and not keys):
        ctx.execute(f"insert into {t}\n{select_all}")
        return
    if strategy == "insert_overwrite":
        ctx.execute(f"insert overwrite table {t}\n{select_all}")
        return
    if strategy == "merge" and cfg.replaceable:
        ctx.execute(_native_merge(ctx, target, source, columns, source_names, keys))
        return
    rewrite = _merge_rewrite if strategy == "merge" else _delete_insert_rewrite
    select = rewrite(ctx, target, source, columns, source_names, keys)
    staged = _sibling(target, "__dbt_new")
    _drop(ctx, staged)
    ctx.execute(create_table_sql(staged, TableConfig(), select))
    try:
        ctx.execute(f"insert overwrite table {t}\nselect * from {staged.render()}")
    finally:
        _drop_quietly(ctx, staged)


def _match(ctx: BuildContext, keys: list[str]) -> str:
    conds = [f"DBT_INTERNAL_SOURCE.{k} = DBT_INTERNAL_DEST.{k}" for k in keys]
    conds += [f"({p})" for p in _predicates(ctx)]
    return " and ".join(conds)


def _update_columns(ctx: BuildContext, columns: list[Any], source_names: set[str]) -> set[str]:
    configured = ctx.node.config.get("merge_update_columns")
    exclude = {str(c).lower() for c in ctx.node.config.get("merge_exclude_columns") or []}
    if configured:
        wanted = {str(c).lower() for c in _names(configured)}
    else:
        wanted = {c.name.lower() for c in columns if c.name.lower() not in exclude}
    return {n for n in wanted if n in source_names}


def _native_merge(ctx: BuildContext, target: Relation, source: Relation, columns: list[Any],
                  source_names: set[str], keys: list[str]) -> str:
    q = ctx.adapter.quote
    updates = _update_columns(ctx, columns, source_names)
    sets = ", ".join(f"DBT_INTERNAL_DEST.{q(c.name)} = DBT_INTERNAL_SOURCE.{q(c.name)}"
                     for c in columns if c.name.lower() in updates)
    names = ", ".join(q(c.name) for c in columns)
    values = ", ".join(_source_exprs(ctx, columns, source_names, "DBT_INTERNAL_SOURCE"))
    update = f"when matched then update set {sets}\n" if sets else ""
    return (f"merge into {target.render()} as DBT_INTERNAL_DEST\nusing {source.render()} as DBT_INTERNAL_SOURCE\n"
            f"on {_match(ctx, keys)}\n{update}when not matched then insert ({names}) values ({values})")


def _merge_rewrite(ctx: BuildContext, target: Relation, source: Relation, columns: list[Any],
                   source_names: set[str], keys: list[str]) -> str:
    """The target's rows after a MERGE, as one query: matched rows updated, the others kept, new rows added."""
    q = ctx.adapter.quote
    updates = _update_columns(ctx, columns, source_names)
    kept = [f"case when DBT_INTERNAL_SOURCE.{_MATCHED} then DBT_INTERNAL_SOURCE.{q(c.name)} "
            f"else DBT_INTERNAL_DEST.{q(c.name)} end as {q(c.name)}" if c.name.lower() in updates
            else f"DBT_INTERNAL_DEST.{q(c.name)}" for c in columns]
    match = _match(ctx, keys)
    t, s = target.render(), source.render()
    return (f"select {', '.join(kept)}\nfrom {t} as DBT_INTERNAL_DEST\n"
            f"left join (select *, true as {_MATCHED} from {s}) as DBT_INTERNAL_SOURCE on {match}\n"
            f"union all\nselect {', '.join(_source_exprs(ctx, columns, source_names, 'DBT_INTERNAL_SOURCE'))}\n"
            f"from {s} as DBT_INTERNAL_SOURCE\n"
            f"where not exists (select 1 from {t} as DBT_INTERNAL_DEST where {match})")


def _delete_insert_rewrite(ctx: BuildContext, target: Relation, source: Relation, columns: list[Any],
                           source_names: set[str], keys: list[str]) -> str:
    """The target's rows after deleting those whose key the new rows carry, then inserting the new rows."""
    q = ctx.adapter.quote
    t, s = target.render(), source.render()
    return (f"select {', '.join('DBT_INTERNAL_DEST.' + q(c.name) for c in columns)}\n"
            f"from {t} as DBT_INTERNAL_DEST\n"
            f"where not exists (select 1 from {s} as DBT_INTERNAL_SOURCE where {_match(ctx, keys)})\n"
            f"union all\nselect {', '.join(_source_exprs(ctx, columns, source_names, 'DBT_INTERNAL_SOURCE'))}\n"
            f"from {s} as DBT_INTERNAL_SOURCE")


MATERIALIZATIONS: dict[str, Callable[[BuildContext], NodeOutcome]] = {
    "view": materialize_view,
    "table": materialize_table,
    "incremental": materialize_incremental,
}
