"""Relations as packages use them in Jinja: `api.Relation`, `this`, refs and what `adapter` returns.

The adapter layer's `Relation` carries the data; this subclass adds the methods dbt's Jinja API has on top
(information_schema, can_be_renamed, ...) and compares equal to a plain `Relation` with the same fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields, replace
from typing import Any

from mason.adapters.relation import Relation

_FIELDS = tuple(f.name for f in fields(Relation))


class JinjaRelation(Relation):
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Relation):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _FIELDS)

    def __hash__(self) -> int:
        return hash((self.database, self.schema, self.identifier, self.type))

    def __repr__(self) -> str:
        return f"<Relation {self.render()} ({self.type})>"

    @property
    def quote_character(self) -> str:
        return self.quote_char

    @property
    def can_be_renamed(self) -> bool:
        return self.type in ("table", "view")

    @property
    def can_be_replaced(self) -> bool:
        return self.type in ("table", "view")

    def information_schema(self, view_name: str | None = None) -> JinjaRelation:
        """`<database>.INFORMATION_SCHEMA[.<view>]`, for queries over the catalog."""
        parts = []
        if self.database and self.include_policy.database:
            parts.append(self.quoted(self.database) if self.quote_policy.database else self.database)
        parts.append("INFORMATION_SCHEMA")
        if view_name:
            parts.append(view_name)
        return replace(self, schema="INFORMATION_SCHEMA", identifier=view_name, render_override=".".join(parts))

    def information_schema_only(self) -> JinjaRelation:
        return self.information_schema()

    def get_ddl_prefix_for_create(self, config: Any = None, temporary: bool = False) -> str:
        return "temporary" if temporary else ""

    def get_ddl_prefix_for_alter(self) -> str:
        return ""

    # dbt's relations are mappings (`relation is mapping`), and packages tell them from other values by
    # `relation.get('metadata', {}).get('type', '').endswith('Relation')`.
    def get(self, key: str, default: Any = None) -> Any:
        if key == "metadata":
            return {"type": self._class_name()}
        data = self.to_dict()
        if key in data:
            return data[key]
        return getattr(self, key, default) if not key.startswith("_") else default

    def _class_name(self) -> str:
        """The adapter's relation class name, as dbt reports it in `metadata.type`."""
        if self.quote_char == "`":
            return "SparkRelation"
        return "PostgresRelation" if self.subquery_alias else "DuckDBRelation"

    def to_dict(self, omit_none: bool = True) -> dict[str, Any]:
        return {"path": self.path, "type": self.type, "quote_character": self.quote_char,
                "include_policy": {p: self.include_policy.get(p) for p in ("database", "schema", "identifier")},
                "quote_policy": {p: self.quote_policy.get(p) for p in ("database", "schema", "identifier")},
                "limit": self.limit}

    def __getitem__(self, key: str) -> Any:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def keys(self) -> list[str]:
        return list(self.to_dict())


_MISSING = object()
Mapping.register(JinjaRelation)


def as_jinja(relation: Relation | None) -> JinjaRelation | None:
    """The same relation with the Jinja methods (relations from the adapter are plain)."""
    if relation is None or isinstance(relation, JinjaRelation):
        return relation
    return JinjaRelation(**{name: getattr(relation, name) for name in _FIELDS})


def jinja_relation_factory(make: Callable[..., Relation]) -> Callable[..., JinjaRelation]:
    def create(*args: Any, **kwargs: Any) -> JinjaRelation:
        rel = as_jinja(make(*args, **kwargs))
        assert rel is not None
        return rel

    return create


class RelationApi:
    """`api.Relation` / `adapter.Relation`: `create(...)` plus the type names."""

    Table = "table"
    View = "view"
    CTE = "cte"
    MaterializedView = "materialized_view"
    External = "external"

    def __init__(self, make_relation: Callable[..., Relation]) -> None:
        self._make = make_relation

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **kwargs: Any) -> JinjaRelation:
        kwargs = {k: v for k, v in kwargs.items() if k in ("quote_policy", "include_policy")}
        rel = as_jinja(self._make(database, schema, identifier, type, **kwargs))
        assert rel is not None
        return rel

    def __call__(self, *args: Any, **kwargs: Any) -> JinjaRelation:
        return self.create(*args, **kwargs)

    def create_from(self, config: Any = None, node: Any = None, **kwargs: Any) -> JinjaRelation:
        """The relation of a node dict (as in `graph.nodes`)."""
        source = node if node is not None else config
        get = source.get if isinstance(source, dict) else (lambda k, d=None: getattr(source, k, d))
        identifier = get("alias") or get("identifier") or get("name")
        return self.create(get("database"), get("schema"), identifier)

    def get_relation_type(self, value: str) -> str:
        return str(value)
