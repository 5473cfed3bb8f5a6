"""Building blocks of the materializations that differ per warehouse, chosen by the adapter's Capabilities:

* the rebuild: `create or replace` where the warehouse swaps any shape in atomically (DuckDB), else create
  under a temporary name, rename the old relation to a backup, rename the new one into place and drop the
  backup, all inside the caller's transaction (PostgreSQL), so a failure leaves the old relation intact;
* names: temporary and backup names shortened to the identifier length limit, too-long names refused;
* the `indexes`, `unlogged` and `grants` configs.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mason.adapters.relation import Relation
from mason.errors import CompileError, Span
from mason.nodes.nodes import Node

INDEX_TYPES = ("btree", "hash", "gist", "spgist", "gin", "brin")
_DDL = {"view": "view", "materialized_view": "materialized view", "table": "table"}


def intermediate_name(identifier: str, suffix: str, max_length: int | None) -> str:
    """``identifier + suffix``, shortened (with a hash of the identifier, so names stay distinct) to fit."""
    name = identifier + suffix
    if max_length is None or len(name.encode()) <= max_length:
        return name
    digest = hashlib.md5(identifier.encode()).hexdigest()[:8]
    keep = max_length - len(suffix.encode()) - len(digest) - 1
    base = identifier.encode()[:max(keep, 1)].decode(errors="ignore")
    return f"{base}_{digest}{suffix}"


def check_identifier(adapter: Any, relation: Relation, node: Node) -> None:
    """Refuse a name the warehouse would silently truncate (PostgreSQL cuts names at 63 bytes)."""
    limit = adapter.capabilities.max_identifier_length
    ident = relation.identifier or ""
    if limit is not None and len(ident.encode()) > limit:
        raise CompileError(
            f"the relation name {ident!r} of {node.unique_id} is {len(ident.encode())} bytes long; "
            f"{adapter.type} allows at most {limit}",
            Span(node.original_file_path), "shorten the file name, or set a shorter alias in its config")


def ddl_kind(relation_type: str | None) -> str:
    return _DDL.get(relation_type or "table", "table")


def create_as(adapter: Any, node: Node, kind: str, relation: Relation, sql: str, *, replace: bool = False) -> str:
    """`create [or replace] [unlogged] table|view|materialized view <relation> as (<sql>)`."""
    prefix = "create or replace" if replace else "create"
    if kind == "table" and adapter.capabilities.unlogged_tables and node.config.get("unlogged"):
        prefix += " unlogged"
    return f"{prefix} {ddl_kind(kind)} {relation.render()} as (\n{sql}\n)"


def create_statements(adapter: Any, node: Node, kind: str, relation: Relation, sql: str, *, replace: bool = False,
                      contract: Any = None) -> list[str]:
    """The statements creating `relation` from `sql`: one `create ... as`, or for a table with an enforced
    contract (adapters/contracts.py) a `create table` with the contract's column types and constraints and an
    `insert` of the query's columns in the contract's order (the last statement's response is the build's)."""
    if contract is None or kind != "table":
        return [create_as(adapter, node, kind, relation, sql, replace=replace)]
    prefix = "create or replace" if replace else "create"
    if adapter.capabilities.unlogged_tables and node.config.get("unlogged"):
        prefix += " unlogged"
    rendered = relation.render()
    return [f"{prefix} table {rendered} {contract.columns_ddl(adapter)}",
            f"insert into {rendered} ({', '.join(contract.names(adapter.quote))})\n{contract.select(adapter.quote, sql)}"]


def swap_in(adapter: Any, execute: Any, node: Node, target: Relation, old: Relation | None, kind: str,
            sql: str, contract: Any = None) -> Any:
    """Build `target` under a temporary name and swap it in by renames (inside the caller's transaction)."""
    limit = adapter.capabilities.max_identifier_length
    ident = target.identifier or ""
    tmp = target.incorporate(path={"identifier": intermediate_name(ident, "__dbt_tmp", limit)}, type=kind)
    backup_name = intermediate_name(ident, "__dbt_backup", limit)
    for leftover in (tmp.identifier or "", backup_name):  # from a run that was killed half way
        found = adapter.get_relation(target.database, target.schema or "", leftover)
        if found is not None:
            execute(f"drop {ddl_kind(found.type)} if exists {found.render()} cascade")
            adapter.cache.drop(found)
    def name(identifier: str) -> str:  # as the relation's quoting config renders it
        return adapter.quote(identifier) if target.quote_policy.identifier else identifier

    for statement in create_statements(adapter, node, kind, tmp, sql, contract=contract):
        response, _ = execute(statement)
    if old is not None:
        execute(f"alter {ddl_kind(old.type)} {old.render()} rename to {name(backup_name)}")
    execute(f"alter {ddl_kind(kind)} {tmp.render()} rename to {name(ident)}")
    if old is not None:
        backup = old.incorporate(path={"identifier": backup_name})
        execute(f"drop {ddl_kind(old.type)} if exists {backup.render()} cascade")
    adapter.cache.drop(target)
    adapter.cache.add(target.incorporate(type=kind))
    return response


# ------------------------------------------------------------------------------------------------ indexes
def index_configs(node: Node) -> list[dict[str, Any]]:
    """The node's `indexes` config, validated: [{columns: [...], unique: bool, type: str | None}]."""
    raw = node.config.get("indexes") or []
    where = Span(node.original_file_path)
    if not isinstance(raw, list | tuple):
        raise CompileError(f"{node.unique_id}: indexes must be a list of {{columns: [...]}} entries, not {raw!r}",
                           where)
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("columns"):
            raise CompileError(f"{node.unique_id}: index {i + 1} needs columns: a list of column names",
                               where, "e.g. indexes: [{columns: ['id'], unique: true}]")
        unknown = set(entry) - {"columns", "unique", "type"}
        if unknown:
            raise CompileError(f"{node.unique_id}: index {i + 1} has unknown key(s) {', '.join(sorted(unknown))}",
                               where, "an index takes columns, unique and type")
        columns = entry["columns"]
        columns = [columns] if isinstance(columns, str) else [str(c) for c in columns]
        kind = entry.get("type")
        if kind is not None and str(kind).lower() not in INDEX_TYPES:
            raise CompileError(f"{node.unique_id}: index {i + 1} has unknown type {kind!r}", where,
                               f"use one of {', '.join(INDEX_TYPES)}")
        out.append({"columns": columns, "unique": bool(entry.get("unique", False)),
                    "type": str(kind).lower() if kind else None})
    return out


def index_name(relation: Relation, index: dict[str, Any], salt: str = "") -> str:
    text = "_".join([relation.render(), *index["columns"], str(index["unique"]), str(index["type"]), salt])
    return hashlib.md5(text.encode()).hexdigest()


def create_index_sql(relation: Relation, index: dict[str, Any], quote: Any, salt: str) -> str:
    unique = "unique " if index["unique"] else ""
    using = f" using {index['type']}" if index["type"] else ""
    return (f"create {unique}index if not exists {quote(index_name(relation, index, salt))} "
            f"on {relation.render()}{using} ({', '.join(index['columns'])})")


def create_indexes(adapter: Any, execute: Any, node: Node, relation: Relation) -> None:
    if not adapter.capabilities.indexes:
        return
    import uuid

    salt = uuid.uuid4().hex  # the replaced relation's indexes keep their names until it is dropped
    for index in index_configs(node):
        execute(create_index_sql(relation, index, adapter.quote, salt))


# ------------------------------------------------------------------------------------------------- grants
def grant_config(node: Node) -> dict[str, list[str]]:
    raw = node.config.get("grants") or {}
    if not isinstance(raw, dict):
        raise CompileError(f"{node.unique_id}: grants must map privileges to grantees, not {raw!r}",
                           Span(node.original_file_path), "e.g. grants: {select: ['reporter']}")
    out: dict[str, list[str]] = {}
    for privilege, grantees in raw.items():
        names = [grantees] if isinstance(grantees, str) else list(grantees or [])
        out[str(privilege).lower()] = [str(g).lstrip("+") for g in names if str(g).strip()]
    return out


def apply_grants(adapter: Any, execute: Any, node: Node, relation: Relation, *, replaced: bool) -> None:
    """Grant what the config lists; on a relation that was kept (not rebuilt), revoke what it no longer lists."""
    if not adapter.capabilities.grants:
        return
    wanted = grant_config(node)
    if not wanted and replaced:
        return
    current: dict[str, set[str]] = {}
    if not replaced:
        current = adapter.current_grants(relation)
    for privilege, holders in sorted(current.items()):
        gone = sorted(g for g in holders if g.lower() not in {w.lower() for w in wanted.get(privilege, [])})
        if gone:
            execute(f"revoke {privilege} on {relation.render()} from {', '.join(gone)}")
    for privilege, grantees in sorted(wanted.items()):
        have = {g.lower() for g in current.get(privilege, set())}
        new = [g for g in grantees if g.lower() not in have]
        if new:
            execute(f"grant {privilege} on {relation.render()} to {', '.join(new)}")


def after_build(adapter: Any, execute: Any, node: Node, relation: Relation, kind: str, *, created: bool,
                replaced: bool) -> None:
    """Indexes on a freshly created table or materialized view, then grants."""
    if created and kind in ("table", "materialized_view"):
        create_indexes(adapter, execute, node, relation)
    apply_grants(adapter, execute, node, relation, replaced=replaced)

