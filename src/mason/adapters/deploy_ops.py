"""How a warehouse promotes a deploy's relations into production (`mason deploy`, mason.deploy), and undoes it.

Two strategies, chosen by the adapter's `deploy_dialect()`:

    views   production relations are views over the deploy's tables, which stay in the environment's
            schema: promotion re-points each view (`create or replace view`), all in one transaction where
            the warehouse has them (DuckDB). A production table that is not a view yet is renamed aside in its
            schema (kept for rollback) before its view is created.
    move    the deploy's relations move into the production schema and the relations they replace move out
            to a rollback schema (PostgreSQL: `alter ... set schema`), in one transaction, after every moved
            relation is locked with a short lock timeout (retried), so that no reader waits long or deadlocks.

The dialect only spells SQL and knows its strategy; mason.deploy decides what to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mason.adapters.relation import Relation

_KINDS = {"view": "view", "materialized_view": "materialized view"}


class DeployDialect:
    strategy = "views"
    transactional = True  # promotion's statements run in one transaction
    text_type = "varchar"  # the records table's column type

    def literal(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    def kind(self, relation: Relation) -> str:
        return _KINDS.get(relation.type or "", "table")

    # -- views
    def point(self, view: Relation, target: Relation) -> list[str]:
        """Make `view` read `target`."""
        return [f"create or replace view {view.render()} as select * from {target.render()}"]

    def rename(self, relation: Relation, identifier: str) -> list[str]:
        name = self.adapter.quote(identifier) if relation.quote_policy.identifier else identifier
        return [f"alter {self.kind(relation)} {relation.render()} rename to {name}"]

    def drop(self, relation: Relation) -> list[str]:
        return [f"drop {self.kind(relation)} if exists {relation.render()}"]

    # -- move
    def move(self, relation: Relation, schema: str) -> list[str]:
        raise NotImplementedError("this warehouse promotes by views")

    def lock(self, relations: list[Relation]) -> list[str]:
        """Statements locking `relations` for the promotion (none where transactions isolate readers)."""
        return []

    # -- one deploy at a time
    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Held for a whole deploy or rollback: a second one is refused. DuckDB needs nothing here: a process
        writing the database file holds it alone."""
        yield
