"""Relations as Jinja sees them: database.schema.identifier, quoted per adapter, with dbt's methods."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Policy:
    database: bool = True
    schema: bool = True
    identifier: bool = True

    def get(self, part: str) -> bool:
        return bool(getattr(self, part))

    def updated(self, **kwargs: Any) -> Policy:
        clean = {k: bool(v) for k, v in kwargs.items() if v is not None and k in ("database", "schema", "identifier")}
        return replace(self, **clean)


@dataclass(frozen=True, slots=True)
class Relation:
    database: str | None
    schema: str | None
    identifier: str | None
    type: str | None = None  # table | view | cte | materialized_view | external
    quote_char: str = '"'
    quote_policy: Policy = field(default_factory=Policy)
    include_policy: Policy = field(default_factory=Policy)
    limit: int | None = None  # dbt's `--empty` renders refs as zero-row subqueries
    event_time_filter: Any = None
    render_override: str | None = None
    # PostgreSQL before 16 needs an alias on a subquery in FROM: --empty / event-time wrappers get one
    subquery_alias: bool = False

    Table = "table"
    View = "view"
    CTE = "cte"
    MaterializedView = "materialized_view"
    External = "external"

    # dbt names
    @property
    def name(self) -> str | None:
        return self.identifier

    @property
    def table(self) -> str | None:
        return self.identifier

    @property
    def is_table(self) -> bool:
        return self.type == "table"

    @property
    def is_view(self) -> bool:
        return self.type == "view"

    @property
    def is_cte(self) -> bool:
        return self.type == "cte"

    @property
    def is_materialized_view(self) -> bool:
        return self.type == "materialized_view"

    @property
    def path(self) -> dict[str, str | None]:
        return {"database": self.database, "schema": self.schema, "identifier": self.identifier}

    def quoted(self, part: str) -> str:
        q = self.quote_char
        end = "`" if q == "`" else q
        return f"{q}{part.replace(end, end + end)}{end}"

    def _part(self, kind: str, value: str | None) -> str | None:
        if value is None or value == "" or not self.include_policy.get(kind):
            return None
        return self.quoted(value) if self.quote_policy.get(kind) else value

    def render(self) -> str:
        if self.render_override is not None:
            return self.render_override
        if self.type == "cte":
            return self.identifier or ""
        parts = [
            p for p in (
                self._part("database", self.database),
                self._part("schema", self.schema),
                self._part("identifier", self.identifier),
            ) if p is not None
        ]
        return ".".join(parts)

    def render_limited(self) -> str:
        rendered = self.render()
        alias = f" _dbt_limit_subq_{self._alias_name()}" if self.subquery_alias else ""
        if self.limit == 0:
            return f"(select * from {rendered} where false limit 0){alias}"
        if self.limit is not None:
            return f"(select * from {rendered} limit {self.limit}){alias}"
        if self.event_time_filter is not None:
            col, start, end = self.event_time_filter
            conds = []
            if start is not None:
                conds.append(f"{col} >= '{start}'")
            if end is not None:
                conds.append(f"{col} < '{end}'")
            alias = f" _dbt_et_filter_subq_{self._alias_name()}" if self.subquery_alias else ""
            return f"(select * from {rendered} where {' and '.join(conds)}){alias}"
        return rendered

    def _alias_name(self) -> str:
        return re.sub(r"\W", "_", self.identifier or "")

    def __str__(self) -> str:
        return self.render_limited()

    def __html__(self) -> str:
        return str(self)

    # dbt methods
    def include(self, database: bool | None = None, schema: bool | None = None,
                identifier: bool | None = None) -> Relation:
        return replace(self, include_policy=self.include_policy.updated(
            database=database, schema=schema, identifier=identifier))

    def quote(self, database: bool | None = None, schema: bool | None = None,
              identifier: bool | None = None) -> Relation:
        return replace(self, quote_policy=self.quote_policy.updated(
            database=database, schema=schema, identifier=identifier))

    def incorporate(self, path: dict[str, Any] | None = None, type: str | None = None, **kwargs: Any) -> Relation:
        changes: dict[str, Any] = {}
        if path:
            for key in ("database", "schema", "identifier"):
                if key in path:
                    changes[key] = path[key]
        if type is not None:
            changes["type"] = type
        if "quote_policy" in kwargs and isinstance(kwargs["quote_policy"], dict):
            changes["quote_policy"] = self.quote_policy.updated(**kwargs["quote_policy"])
        if "include_policy" in kwargs and isinstance(kwargs["include_policy"], dict):
            changes["include_policy"] = self.include_policy.updated(**kwargs["include_policy"])
        return replace(self, **changes)

    def without_identifier(self) -> Relation:
        return self.include(identifier=False)

    def replace_path(self, **kwargs: Any) -> Relation:
        return self.incorporate(path=kwargs)

    def add_ephemeral_prefix(self, name: str) -> str:
        return f"__dbt__cte__{name}"

    def matches(self, database: str | None = None, schema: str | None = None, identifier: str | None = None) -> bool:
        def same(a: str | None, b: str | None) -> bool:
            return b is None or (a or "").lower() == b.lower()

        return same(self.database, database) and same(self.schema, schema) and same(self.identifier, identifier)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "schema": self.schema, "identifier": self.identifier, "type": self.type}


def quote_character(adapter_type: str) -> str:
    """The character a warehouse quotes identifiers with."""
    return "`" if adapter_type == "spark" else '"'


def quotes_by_default(adapter_type: str) -> bool:
    """Whether identifiers are quoted when the project's `quoting:` says nothing (dbt-spark does not)."""
    return adapter_type != "spark"


def relation_factory(adapter_type: str, quoting: dict[str, Any] | None = None,  # type: ignore[no-untyped-def]
                     cls: type[Relation] = Relation):
    """A function making relations (of `cls`) with the adapter's quoting and include policies."""
    quoting = quoting or {}
    if adapter_type == "spark":
        qp = Policy(False, False, False).updated(**quoting)
        ip = Policy(database=False)
        qc = "`"
    else:
        qp = Policy().updated(**quoting)
        ip = Policy()
        qc = '"'

    alias = adapter_type == "postgres"

    def create(database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **kwargs: Any) -> Relation:
        rel = cls(database if adapter_type != "spark" else None, schema, identifier, type, qc, qp, ip,
                       subquery_alias=alias)
        if kwargs.get("quote_policy") or kwargs.get("include_policy"):
            rel = rel.incorporate(**kwargs)
        return rel

    return create
