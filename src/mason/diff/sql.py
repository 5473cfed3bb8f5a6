"""The diff's SQL, written once for every warehouse (what differs comes from the adapter's DiffDialect).

Every statement reads both relations in the warehouse and returns either one row of counts or a sample of at
most N rows: no table is pulled into Python.

- key check: per side, rows, distinct keys, rows sharing a key, rows with a null key (a group-by on the key);
- by key: a full outer join on the key; per column `sum(case when matched and not <null-safe equal>)`;
- by hash: without a key, each side's rows as md5 hashes counted per hash, the two counts joined by hash
  (rows are a multiset: a row twice in prod and once in dev is one row only in prod).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRESENT = "mason_diff_present"
HASH = "mason_diff_hash"
COUNT = "mason_diff_n"


@dataclass(frozen=True, slots=True)
class ColumnPair:
    """One column as each side names and types it (names match case-insensitively)."""

    prod: str
    dev: str
    prod_type: str
    dev_type: str

    @property
    def name(self) -> str:
        return self.dev

    @property
    def retyped(self) -> bool:
        return self.prod_type.lower() != self.dev_type.lower()


class DiffSQL:
    def __init__(self, dialect: Any, prod: str, dev: str, key: tuple[ColumnPair, ...],
                 columns: tuple[ColumnPair, ...]) -> None:
        self.d = dialect
        self.prod, self.dev = prod, dev
        self.key, self.columns = key, columns

    # ------------------------------------------------------------------------------------ expressions
    def _col(self, alias: str, pair: ColumnPair, side: str) -> str:
        name = pair.prod if side == "prod" else pair.dev
        dtype = pair.prod_type if side == "prod" else pair.dev_type
        expr = f"{alias}.{self.d.quote(name)}" if alias else self.d.quote(name)
        if pair.retyped:  # int vs bigint, decimal vs double: compared as the text of the values
            return str(self.d.as_text(expr))
        return str(self.d.comparable(expr, dtype))

    def _same(self, pair: ColumnPair) -> str:
        return str(self.d.same(self._col("p", pair, "prod"), self._col("d", pair, "dev")))

    def _key_join(self, left: str = "p", right: str = "d") -> str:
        return " and ".join(f"{self._col(left, k, 'prod')} = {self._col(right, k, 'dev')}" for k in self.key)

    def _side(self, side: str, columns: tuple[ColumnPair, ...]) -> str:
        names = ", ".join(self.d.quote(c.prod if side == "prod" else c.dev) for c in columns)
        return f"select 1 as {PRESENT}, {names} from {self.prod if side == 'prod' else self.dev}"

    # ------------------------------------------------------------------------------------ by key
    def key_check(self) -> str:
        """One row: rows, keys, keys held by more than one row, rows with a null key; prod's then dev's."""

        def side(relation: str, which: str) -> str:
            cols = ", ".join(self.d.quote(k.prod if which == "prod" else k.dev) for k in self.key)
            nulls = " or ".join(f"{self.d.quote(k.prod if which == 'prod' else k.dev)} is null" for k in self.key)
            return (f"select sum({COUNT}) as rows_n, count(*) as keys_n, "
                    f"sum(case when {COUNT} > 1 then 1 else 0 end) as dup_n, "
                    f"sum(case when {nulls} then {COUNT} else 0 end) as null_n "
                    f"from (select {cols}, count(*) as {COUNT} from {relation} group by {cols}) g")

        return (f"select p.rows_n, p.keys_n, p.dup_n, p.null_n, d.rows_n, d.keys_n, d.dup_n, d.null_n\n"
                f"from ({side(self.prod, 'prod')}) p\ncross join ({side(self.dev, 'dev')}) d")

    def by_key(self) -> str:
        """One row: matched keys, keys only in prod, only in dev, matched rows with any change, then one
        count of changed rows per column."""
        both = f"p.{PRESENT} = 1 and d.{PRESENT} = 1"
        sums = [f"sum(case when {both} then 1 else 0 end)",
                f"sum(case when d.{PRESENT} is null then 1 else 0 end)",
                f"sum(case when p.{PRESENT} is null then 1 else 0 end)"]
        if self.columns:
            anychange = " and ".join(self._same(c) for c in self.columns)
            sums.append(f"sum(case when {both} and not ({anychange}) then 1 else 0 end)")
        else:
            sums.append("0")
        sums += [f"sum(case when {both} and not {self._same(c)} then 1 else 0 end)" for c in self.columns]
        cols = self.key + self.columns
        return (f"select {', '.join(sums)}\nfrom ({self._side('prod', cols)}) p\n"
                f"full outer join ({self._side('dev', cols)}) d on {self._key_join()}")

    def only_in(self, side: str, limit: int) -> str:
        """Keys of rows on `side` whose key the other side lacks (the first `limit`, by key)."""
        mine, other = ("p", "d") if side == "prod" else ("d", "p")
        relation, other_relation = (self.prod, self.dev) if side == "prod" else (self.dev, self.prod)
        keys = ", ".join(f"{mine}.{self.d.quote(k.prod if side == 'prod' else k.dev)}" for k in self.key)
        return (f"select {keys} from {relation} {mine}\nwhere not exists (select 1 from {other_relation} {other} "
                f"where {self._key_join()})\norder by {keys}\nlimit {int(limit)}")

    def changed(self, column: ColumnPair, limit: int) -> str:
        """(key..., prod value, dev value) of matched rows where `column` differs (the first `limit`)."""
        keys = [f"p.{self.d.quote(k.prod)}" for k in self.key]
        select = ", ".join([*(f"{k} as k{i}" for i, k in enumerate(keys)),
                            f"p.{self.d.quote(column.prod)} as prod_value",
                            f"d.{self.d.quote(column.dev)} as dev_value"])
        return (f"select {select}\nfrom {self.prod} p\njoin {self.dev} d on {self._key_join()}\n"
                f"where not {self._same(column)}\norder by {', '.join(keys)}\nlimit {int(limit)}")

    # ------------------------------------------------------------------------------------ by hash
    def _hash(self, side: str) -> str:
        return str(self.d.row_hash([self._col("", c, side) for c in self.columns]))

    def _counts(self, side: str) -> str:
        relation = self.prod if side == "prod" else self.dev
        return (f"select {HASH}, count(*) as {COUNT} from (select {self._hash(side)} as {HASH} from {relation}) t "
                f"group by {HASH}")

    def by_hash(self) -> str:
        """One row: prod's rows, dev's rows, rows only in prod, rows only in dev (as multisets)."""
        p, d = f"coalesce(p.{COUNT}, 0)", f"coalesce(d.{COUNT}, 0)"
        return (f"select sum({p}), sum({d}), sum(case when {p} > {d} then {p} - {d} else 0 end), "
                f"sum(case when {d} > {p} then {d} - {p} else 0 end)\n"
                f"from ({self._counts('prod')}) p\nfull outer join ({self._counts('dev')}) d on p.{HASH} = d.{HASH}")

    def hash_samples(self, limit: int) -> str:
        """Rows one side has more copies of than the other, each such row once: (side, values..., how many
        copies more); the first `limit` per side, by hash (a stable order whatever the column types). Both
        sides in one statement, so the per-hash counts are computed once."""
        def values(side: str) -> str:
            exprs = []
            for i, c in enumerate(self.columns):
                expr = self.d.quote(c.prod if side == "prod" else c.dev)
                exprs.append(f"{self.d.as_text(expr) if c.retyped else expr} as c{i}")
            relation = self.prod if side == "prod" else self.dev
            return f"select '{side}' as side, {', '.join(exprs)}, {self._hash(side)} as {HASH} from {relation}"

        names = ", ".join(f"c{i}" for i in range(len(self.columns)))
        return (
            f"with pc as ({self._counts('prod')}),\ndc as ({self._counts('dev')}),\n"
            f"extra as (select coalesce(pc.{HASH}, dc.{HASH}) as {HASH}, "
            f"coalesce(pc.{COUNT}, 0) - coalesce(dc.{COUNT}, 0) as extra_n from pc full outer join dc "
            f"on pc.{HASH} = dc.{HASH} where coalesce(pc.{COUNT}, 0) <> coalesce(dc.{COUNT}, 0)),\n"
            f"found as (select t.*, row_number() over (partition by t.side, t.{HASH} order by t.{HASH}) as rn "
            f"from ({values('prod')}\nunion all\n{values('dev')}) t where t.{HASH} in (select {HASH} from extra)),\n"
            f"picked as (select found.*, extra.extra_n, row_number() over (partition by found.side "
            f"order by found.{HASH}) as pick from found join extra on found.{HASH} = extra.{HASH} "
            f"where found.rn = 1 and ((found.side = 'prod' and extra.extra_n > 0) "
            f"or (found.side = 'dev' and extra.extra_n < 0)))\n"
            f"select side, {names}, extra_n from picked where pick <= {int(limit)} order by side, {HASH}")
