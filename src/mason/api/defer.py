"""Deferral (`--defer` with `--state` or `--defer-state`, optionally `--favor-state`): a `ref()` to a model
that is not selected reads production's relation from the state manifest instead of this target's, when this
target does not have the relation (or always, with --favor-state). Ephemeral models are never deferred (they
are inlined from the current code); what they ref is resolved the same way.

So `mason build -s state:modified+ --defer --state prod/` builds only what a pull request changed, reading
everything upstream from production.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mason.errors import UsageError


def deferred_relations(session: Any, parsed: Any, opts: dict[str, Any], selected: Iterable[str],
                       compiler: Any, adapter: Any) -> dict[str, Any]:
    """unique id -> the state's Relation, for each unselected model, seed or snapshot a selected node (or an
    ephemeral model it inlines) refs and that is to be read from the state."""
    from mason.api import state_of

    if not opts.get("defer"):
        return {}
    state = state_of(session, opts, "defer_state") or state_of(session, opts)
    if state is None:
        raise UsageError("--defer needs another run's artifacts to defer to",
                         hint="pass --state DIR or --defer-state DIR (a folder with production's manifest.json)")
    favor = bool(opts.get("favor_state"))
    nodes = parsed.manifest.nodes
    chosen = set(selected)
    wanted: set[str] = set()
    todo = [uid for uid in chosen if uid in nodes]
    seen: set[str] = set()
    while todo:  # parents of the selection, through unselected ephemeral models
        uid = todo.pop()
        for parent in nodes[uid].depends_on_nodes:
            if parent in chosen or parent in seen or parent not in nodes:
                continue
            seen.add(parent)
            if nodes[parent].is_ephemeral:
                todo.append(parent)
            else:
                wanted.add(parent)
    out: dict[str, Any] = {}
    for uid in sorted(wanted):
        node = nodes[uid]
        if node.resource_type not in ("model", "seed", "snapshot"):
            continue
        found = state.relation_of(uid)
        if found is None:
            continue
        if not favor:
            here = compiler.relation(node)
            if adapter.get_relation(here.database, here.schema, here.identifier) is not None:
                continue
        database, schema, alias = found
        materialized = state.built_as(uid).get("materialized")
        out[uid] = compiler.factory.make_relation(database, schema, alias,
                                                  "view" if materialized == "view" else "table")
    return out
