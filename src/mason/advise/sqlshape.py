"""The shape of a model's compiled SQL, read with sqlglot: its CTEs and their longest dependency chain, its joins
(which relations meet on which columns, outer or inner, with or without a filter) and the columns its filters
use, each resolved through the CTEs down to the relations the query reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp


@dataclass
class Side:
    """What one side of a join reads: relation keys ("schema.name", lower case), and whether a CTE on the
    way filters or aggregates them."""

    relations: frozenset[str]
    reduced: bool
    label: str


@dataclass
class Join:
    left: Side
    right: Side
    kind: str  # "left", "right", "full", "inner", "cross"
    has_where: bool
    on_columns: list[tuple[str, str]] = field(default_factory=list)  # (relation key, column)


@dataclass
class Shape:
    ctes: list[str]
    chain: list[str]  # the longest chain of CTEs, each reading the one before
    joins: list[Join]
    filter_columns: list[tuple[str, str]]  # (relation key, column) in WHERE clauses


def _arg(node: Any, name: str) -> Any:
    return node.args.get(name + "_") or node.args.get(name)


def _key(table: exp.Table) -> str:
    return f"{table.db}.{table.name}".lower() if table.db else table.name.lower()


def analyse(sql: str, dialect: str | None) -> Shape | None:
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:
        return None
    if tree is None:
        return None
    ctes: dict[str, exp.Expression] = {}
    for cte in getattr(tree, "ctes", []) or []:
        ctes[cte.alias_or_name.lower()] = cte.this
    deps = {name: {t.name.lower() for t in body.find_all(exp.Table) if not t.db and t.name.lower() in ctes
                   and t.name.lower() != name} for name, body in ctes.items()}
    chain = _longest(deps)
    reads: dict[str, tuple[frozenset[str], bool]] = {}

    def resolve(name: str, seen: frozenset[str] = frozenset()) -> tuple[frozenset[str], bool]:
        if name in reads:
            return reads[name]
        body = ctes[name]
        found: set[str] = set()
        reduced = any(isinstance(s, exp.Select) and (_arg(s, "where") is not None or _arg(s, "group") is not None)
                      for s in body.find_all(exp.Select))
        for t in body.find_all(exp.Table):
            inner = t.name.lower()
            if not t.db and inner in ctes and inner not in seen and inner != name:
                rels, red = resolve(inner, seen | {name})
                found |= rels
                reduced = reduced or red
            elif t.db:
                found.add(_key(t))
        reads[name] = (frozenset(found), reduced)
        return reads[name]

    def side_of(node: Any) -> Side:
        if isinstance(node, exp.Table):
            name = node.name.lower()
            if not node.db and name in ctes:
                rels, red = resolve(name)
                return Side(rels, red, node.name)
            return Side(frozenset({_key(node)}), False, node.name)
        tables = {_key(t) for t in node.find_all(exp.Table) if t.db}
        return Side(frozenset(tables), True, node.alias_or_name or "subquery")

    joins: list[Join] = []
    filters: list[tuple[str, str]] = []
    for select in tree.find_all(exp.Select):
        source = _arg(select, "from")
        if source is None:
            continue
        aliases: dict[str, Side] = {}
        first = side_of(source.this)
        aliases[source.this.alias_or_name.lower()] = first
        where = _arg(select, "where")
        left = first
        for join in select.args.get("joins") or []:
            right = side_of(join.this)
            aliases[join.this.alias_or_name.lower()] = right
            kind = (join.side or join.kind or "inner").lower()
            if join.args.get("on") is None and not join.args.get("using"):
                kind = "cross" if kind == "inner" else kind
            on_cols = _columns(join.args.get("on"), aliases)
            joins.append(Join(left, right, kind, where is not None, on_cols))
            left = Side(left.relations | right.relations, left.reduced or right.reduced, left.label)
        if where is not None:
            filters.extend(_columns(where, aliases))
    return Shape(list(ctes), chain, joins, filters)


def _columns(node: Any, aliases: dict[str, Side]) -> list[tuple[str, str]]:
    if node is None:
        return []
    out = []
    for col in node.find_all(exp.Column):
        side = aliases.get(col.table.lower()) if col.table else (next(iter(aliases.values())) if len(aliases) == 1
                                                                 else None)
        if side is not None and len(side.relations) == 1:
            out.append((next(iter(side.relations)), col.name.lower()))
    return out


def _longest(deps: dict[str, set[str]]) -> list[str]:
    memo: dict[str, list[str]] = {}

    def walk(name: str, stack: frozenset[str]) -> list[str]:
        if name in memo:
            return memo[name]
        best: list[str] = []
        for dep in sorted(deps.get(name, ())):
            if dep in stack:
                continue
            path = walk(dep, stack | {name})
            if len(path) > len(best):
                best = path
        memo[name] = [*best, name]
        return memo[name]

    longest: list[str] = []
    for name in deps:
        path = walk(name, frozenset())
        if len(path) > len(longest):
            longest = path
    return longest
