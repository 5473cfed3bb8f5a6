"""`mason advise`'s rules: each looks at one model (its compiled SQL's shape, its size, its cost) and says what
would make it cheaper, with the file and line of the model and of the construct in it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mason.advise.sqlshape import Join, Shape

TIME_NAMES = re.compile(r"updated|modified|changed|loaded|ingested|inserted|synced|_at$|^at$|created|date|time|ts$")


@dataclass
class Model:
    uid: str
    name: str
    path: str  # package-relative file
    raw: str
    compiled: str
    materialized: str
    config: dict[str, Any]
    key: str  # "schema.identifier", lower case
    seconds: float = 0.0  # median run time
    rows: int | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    children: list[str] = field(default_factory=list)
    shape: Shape | None = None


@dataclass
class Settings:
    min_rows: int = 100_000
    max_cte_chain: int = 4
    ratio: float = 10.0  # a join side this many times larger than the other is "the large side"


@dataclass
class Advice:
    kind: str
    uid: str
    location: str  # file:line of the model, at the construct when found
    cost: float  # seconds a run this advice is about
    rows: int | None
    message: str
    fix: str
    also: list[str] = field(default_factory=list)  # other places involved (file:line: what)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "unique_id": self.uid, "location": self.location, "cost_seconds": self.cost,
                "rows": self.rows, "message": self.message, "fix": self.fix, "also": self.also}


def line_of(raw: str, pattern: str, default: int = 1) -> int:
    """The first line of `raw` matching the regular expression (case-insensitive), else `default`."""
    found = re.compile(pattern, re.I | re.M).search(raw)
    return raw.count("\n", 0, found.start()) + 1 if found else default


def _config_line(m: Model) -> int:
    return line_of(m.raw, r"materialized|config\s*\(")


def time_column(m: Model) -> str | None:
    timed = [name for name, dtype in m.columns if any(t in dtype.lower() for t in ("timestamp", "date", "time"))]
    if not timed:
        return None
    named = [c for c in timed if TIME_NAMES.search(c.lower())]
    order = ("updated", "modified", "changed", "loaded", "ingested", "inserted", "synced")
    named.sort(key=lambda c: next((i for i, w in enumerate(order) if w in c.lower()), len(order)))
    return (named or timed)[0]


def _key_column(m: Model) -> str | None:
    names = [c for c, _ in m.columns]
    for candidate in ("id", f"{m.name}_id", f"{m.name.rstrip('s')}_id"):
        if candidate in names:
            return candidate
    return None


def rows_text(rows: int | None) -> str:
    return "unknown" if rows is None else f"{rows:,}"


# ----------------------------------------------------------------------------------------------- rules
def cte_chain(m: Model, s: Settings) -> list[Advice]:
    chain = m.shape.chain if m.shape else []
    if len(chain) <= s.max_cte_chain:
        return []
    split = chain[len(chain) // 2 - 1]
    first = line_of(m.raw, rf"\b{re.escape(chain[0])}\s+as\s*\(")
    at = line_of(m.raw, rf"\b{re.escape(split)}\s+as\s*\(")
    return [Advice(
        "cte_chain", m.uid, f"{m.path}:{first}", m.seconds, m.rows,
        f"a chain of {len(chain)} CTEs, each reading the one before ({' -> '.join(chain)})",
        f"split it: move `{chain[0]}` ... `{split}` into an intermediate model (e.g. int_{m.name}_{split}) and "
        f"select from ref() of it; it can be tested, reused and materialized on its own",
        [f"{m.path}:{at}: `{split}`, where the chain splits"])]


def incremental(m: Model, s: Settings) -> list[Advice]:
    if m.materialized != "table" or m.rows is None or m.rows < s.min_rows:
        return []
    column = time_column(m)
    if column is None:
        return []
    key = _key_column(m)
    config = "materialized='incremental'" + (f", unique_key='{key}'" if key else "")
    return [Advice(
        "incremental", m.uid, f"{m.path}:{_config_line(m)}", m.seconds, m.rows,
        f"a table of {rows_text(m.rows)} rows rebuilt in full on every run",
        f"make it incremental on `{column}`: {{{{ config({config}) }}}} and "
        f"{{% if is_incremental() %}} where {column} > (select max({column}) from {{{{ this }}}}) {{% endif %}}")]


def _size(side_relations: frozenset[str], sizes: dict[str, int | None]) -> int | None:
    known = [sizes[r] for r in side_relations if sizes.get(r) is not None]
    return max(known) if known else None  # type: ignore[type-var]


def _join_line(m: Model, join: Join, names: dict[str, str]) -> int:
    label = join.right.label
    refs = [names[r] for r in join.right.relations if r in names]
    for pattern in [rf"join\s+{re.escape(label)}\b", *(rf"join[^\n]*\b{re.escape(n)}\b" for n in refs), r"\bjoin\b"]:
        found = line_of(m.raw, pattern, 0)
        if found:
            return found
    return 1


def joins(m: Model, s: Settings, sizes: dict[str, int | None], names: dict[str, str]) -> list[Advice]:
    out: list[Advice] = []
    for join in m.shape.joins if m.shape else []:
        left, right = _size(join.left.relations, sizes), _size(join.right.relations, sizes)
        if left is None or right is None:
            continue
        where = f"{m.path}:{_join_line(m, join, names)}"
        big = ", ".join(sorted(names.get(r, r) for r in join.right.relations))
        if join.kind == "left" and right >= s.min_rows and right >= s.ratio * max(left, 1):
            out.append(Advice(
                "join_large_side_built", m.uid, where, m.seconds, right,
                f"`{join.left.label}` ({rows_text(left)} rows) LEFT JOINs `{join.right.label}` ({rows_text(right)} "
                f"rows, from {big}): the hash table of a left join is built from its right side, the large one",
                "put the large relation first (select from it and RIGHT JOIN the small one, or turn the join around), "
                f"or reduce `{join.right.label}` to the keys of `{join.left.label}` before joining"))
        elif left >= s.min_rows and right >= s.min_rows and not join.has_where and not join.left.reduced \
                and not join.right.reduced:
            out.append(Advice(
                "join_unfiltered", m.uid, where, m.seconds, max(left, right),
                f"{join.kind} join of `{join.left.label}` ({rows_text(left)} rows) and `{join.right.label}` "
                f"({rows_text(right)} rows) with no filter on either side",
                "filter or aggregate the sides before joining (only the rows and columns needed), or make the "
                "model incremental so each run joins only new rows"))
    return out


def layout(m: Model, s: Settings, configs: tuple[str, ...]) -> list[Advice]:
    if not configs or m.materialized not in ("table", "incremental") or m.rows is None or m.rows < s.min_rows:
        return []
    if any(m.config.get(c) for c in configs):
        return []
    column = time_column(m)
    fix = (f"partition it by a date: {{{{ config(partition_by=['{column}']) }}}} (or a day derived from it), so "
           f"reads and incremental runs touch only the partitions they need" if column else
           f"give it a layout: {', '.join(configs)}")
    return [Advice("table_layout", m.uid, f"{m.path}:{_config_line(m)}", m.seconds, m.rows,
                   f"a {m.materialized} of {rows_text(m.rows)} rows with no {' / '.join(configs[:2])} config", fix)]


def indexes(t: Model, s: Settings, readers: list[Model], existing: list[dict[str, Any]],
            distinct: dict[str, float], plans: dict[str, str]) -> list[Advice]:
    """Columns of the large table `t` that downstream models join or filter on, with no index leading with
    them; `distinct` is n_distinct per column (pg_stats), `plans` each reader's EXPLAIN."""
    if t.rows is None or t.rows < s.min_rows or t.materialized not in ("table", "incremental", "seed", "snapshot"):
        return []
    covered = {str(ix["columns"][0]).lower() for ix in existing if ix.get("columns")}
    for ix in t.config.get("indexes") or []:
        cols = ix.get("columns") if isinstance(ix, dict) else None
        if cols:
            covered.add(str(cols[0]).lower())
    uses: dict[str, list[tuple[Model, str]]] = {}
    names = {c.lower() for c, _ in t.columns}
    for reader in readers:
        if reader.shape is None:
            continue
        joined = [c for j in reader.shape.joins for k, c in j.on_columns if k == t.key]
        filtered = [c for k, c in reader.shape.filter_columns if k == t.key]
        for col in [*joined, *filtered]:
            if col in covered or (names and col not in names):
                continue
            n = distinct.get(col)
            if col not in joined and n is not None and 0 < n < 10:
                continue  # a filter on a column of a handful of values: an index would not be used
            how = "joins on" if col in joined else "filters on"
            if all(r.uid != reader.uid for r, _ in uses.get(col, [])):
                uses.setdefault(col, []).append((reader, how))
    out = []
    for col, found in sorted(uses.items()):
        cost = sum(r.seconds for r, _ in found)
        seq = [r.name for r, _ in found if re.search(rf"Seq Scan on {re.escape(t.key.split('.')[-1])}\b",
                                                     plans.get(r.uid, ""))]
        word = rf"\b{re.escape(col)}\b"
        also = [f"{r.path}:{line_of(r.raw, word)}: {r.name} {how} {col}" for r, how in found]
        note = f"; EXPLAIN of {', '.join(seq)} scans the whole table" if seq else ""
        out.append(Advice(
            "index", t.uid, f"{t.path}:{_config_line(t)}", cost, t.rows,
            f"{len(found)} downstream model{'s' if len(found) != 1 else ''} "
            f"{'join or filter' if len(found) != 1 else found[0][1]} `{col}` of this table of "
            f"{rows_text(t.rows)} rows, which has no index on it{note}",
            f"{{{{ config(indexes=[{{'columns': ['{col}']}}]) }}}}", also))
    return out
