"""PostgreSQL promotes a deploy by moving relations between schemas in one transaction (mason.adapters.deploy_ops)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from mason.adapters.deploy_ops import DeployDialect
from mason.adapters.relation import Relation
from mason.errors import ProjectError


class PostgresDeployDialect(DeployDialect):
    strategy = "move"

    def move(self, relation: Relation, schema: str) -> list[str]:
        name = self.adapter.quote(schema) if relation.quote_policy.schema else schema
        return [f"alter {self.kind(relation)} {relation.render()} set schema {name}"]

    def lock(self, relations: list[Relation]) -> list[str]:
        # a short wait for each lock: a reader holding one makes the promotion give up and retry, never deadlock
        tables = [r for r in relations if r.type != "view"]
        views = [r for r in relations if r.type == "view"]
        out = ["set local lock_timeout = '200ms'"]
        if tables or views:
            names = ", ".join(r.render() for r in [*tables, *views])
            out.append(f"lock table {names} in access exclusive mode")
        return out

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        _, table = self.adapter.execute(f"select pg_try_advisory_lock({key})", fetch=True)
        if table is None or not table.rows or not table.rows[0][0]:
            raise ProjectError(f"another deploy or rollback of {name} is running",
                               hint="wait for it to finish (mason environments list shows what it builds)")
        try:
            yield
        finally:
            self.adapter.execute(f"select pg_advisory_unlock({key})")
