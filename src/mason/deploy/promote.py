"""Promotion and rollback as statements: what to run so that production reads a deploy's relations (and, in
reverse, the ones they replaced), for the dialect's strategy (mason.adapters.deploy_ops).

`promotion` takes the relations a deploy built and what production has now, and returns the statements with
the record of what each relation replaced; `rollback` reads that record back into statements. Running them
(in one transaction, retried while readers hold locks) is `execute`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mason.deploy.records import Environment, Parts, Promoted, env_schema, rollback_schema
from mason.errors import DatabaseError

ASIDE = "__mason_"  # a production table renamed aside for rollback: <name>__mason_<env id>


def _rel(adapter: Any, parts: Parts, kind: str) -> Any:
    return adapter.make_relation(parts[0], parts[1], parts[2], kind)


def promotion(dialect: Any, adapter: Any, env: Environment, built: list[Promoted],
              current: Environment | None, existing: Callable[[Parts], Any]) -> tuple[list[str], Environment]:
    """The statements promoting `built` (each with production and built names; `existing(parts)` is the
    production relation now there, or None), and `env` recording what each one replaced."""
    statements: list[str] = []
    for database, schema in sorted({(p.production[0], str(p.production[1])) for p in built},
                                   key=lambda x: (x[0] or "", x[1])):
        probe = adapter.make_relation(database, schema, None)
        name = adapter.quote(schema) if probe.quote_policy.schema else schema
        statements.append(f"create schema if not exists {name}")  # the first deploy makes production's schemas
    promoted: list[Promoted] = []
    pointers = dict(current.pointers) if current is not None else {}
    if dialect.strategy == "move":
        locks = [_rel(adapter, p.built, p.kind) for p in built]
        locks += [found for p in built if (found := existing(p.production)) is not None]
        statements += dialect.lock(locks)
        made: set[tuple[str | None, str]] = set()
        for p in built:
            here = existing(p.production)
            previous: tuple[str, Parts] | None = None
            if here is not None:
                aside = rollback_schema(str(p.production[1]), env.env_id)
                if (p.production[0], aside) not in made:
                    name = adapter.quote(aside) if here.quote_policy.schema else aside
                    statements.append(f"create schema if not exists {name}")
                    made.add((p.production[0], aside))
                statements += dialect.move(here, aside)
                previous = ("moved", (p.production[0], aside, p.production[2]))
            statements += dialect.move(_rel(adapter, p.built, p.kind), str(p.production[1]))
            promoted.append(replace(p, previous=previous))  # type: ignore[arg-type]
        return statements, replace(env, relations=tuple(promoted),
                                   schemas=tuple(sorted({*env.schemas, *(s for _, s in made)})))
    for p in built:
        view = _rel(adapter, p.production, "view")
        here = existing(p.production)
        previous = None
        if here is not None:
            before = pointers.get(p.unique_id)
            if here.type == "view" and before is not None:
                previous = ("view", before)
            else:  # a table (or a view Mason did not point): kept aside under another name for rollback
                aside = f"{p.production[2]}{ASIDE}{env.env_id}"
                statements += dialect.rename(here, aside)
                previous = ("aside", (p.production[0], p.production[1], aside))
        statements += dialect.point(view, _rel(adapter, p.built, p.kind))
        pointers[p.unique_id] = p.built
        promoted.append(replace(p, previous=previous))  # type: ignore[arg-type]
    return statements, replace(env, relations=tuple(promoted), pointers=pointers)


def rollback(dialect: Any, adapter: Any, env: Environment) -> list[str]:
    """The statements undoing `env`'s promotion: each relation it promoted goes back where it was built,
    and what it replaced returns to production."""
    statements: list[str] = []
    if dialect.strategy == "move":
        schemas = {(p.built[0], p.built[1]) for p in env.relations}
        for database, schema in sorted(schemas, key=lambda x: (x[0] or "", x[1] or "")):
            probe = adapter.make_relation(database, schema, None)
            name = adapter.quote(str(schema)) if probe.quote_policy.schema else str(schema)
            statements.append(f"create schema if not exists {name}")
        relations = [_rel(adapter, p.production, p.kind) for p in env.relations]
        relations += [_rel(adapter, p.previous[1], p.kind) for p in env.relations if p.previous]
        statements += dialect.lock(relations)
        for p in reversed(env.relations):
            statements += dialect.move(_rel(adapter, p.production, p.kind), str(p.built[1]))
            if p.previous is not None:
                statements += dialect.move(_rel(adapter, p.previous[1], p.kind), str(p.production[1]))
        return statements
    for p in reversed(env.relations):
        view = _rel(adapter, p.production, "view")
        if p.previous is None:
            statements += dialect.drop(view)
        elif p.previous[0] == "view":
            statements += dialect.point(view, _rel(adapter, p.previous[1], "table"))
        else:
            statements += dialect.drop(view)
            statements += dialect.rename(_rel(adapter, p.previous[1], p.kind), str(p.production[2]))
    return statements


def execute(adapter: Any, dialect: Any, statements: list[str], deadline: float = 120.0,
            before_commit: Callable[[], None] | None = None) -> None:
    """Run the statements in one transaction (where the warehouse has them), again after a pause when a
    reader held a lock past the dialect's lock timeout (nothing is half-done in between)."""
    start = time.monotonic()
    while True:
        try:
            if dialect.transactional:
                adapter.begin()
            for sql in statements:
                adapter.execute(sql)
            if before_commit is not None:
                before_commit()
            if dialect.transactional:
                adapter.commit()
            adapter.cache.clear()
            return
        except DatabaseError as exc:
            if dialect.transactional:
                try:
                    adapter.rollback()
                except DatabaseError:
                    pass
            adapter.cache.clear()
            if "lock timeout" not in str(exc).lower() or time.monotonic() - start > deadline:
                raise
            time.sleep(random.uniform(0.02, 0.2))


def built_name(parts: Parts, env_id: str) -> Parts:
    return parts[0], env_schema(str(parts[1]), env_id), parts[2]
