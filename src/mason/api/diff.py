"""`mason diff`: each selected model's relation in this target compared with its relation in the state's
target (production's manifest.json in --state), in the warehouse. See docs/diff.md."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mason import api
from mason.diff.compare import Model, Options, compare
from mason.diff.result import DiffReport
from mason.diff.state import (
    RELATION_TYPES,
    Place,
    StateManifest,
    hints_from_manifest,
    read_state,
    tests_by_node,
)
from mason.errors import UsageError, did_you_mean

_PLAIN = re.compile(r"^[@+]?\d*\+?([A-Za-z0-9_.]+)\+?\d*$")


@dataclass(frozen=True, slots=True)
class DiffRequest:
    state: str | None
    state_target: str | None = None
    primary_key: tuple[str, ...] = ()  # `col[,col]` for every model, or `model=col[,col]`
    sample: int = 5
    ignore_columns: tuple[str, ...] = ()

    @classmethod
    def from_opts(cls, opts: dict[str, Any]) -> DiffRequest:
        sample = opts.get("sample")
        return cls(opts.get("state"), opts.get("state_target"), tuple(opts.get("primary_key") or ()),
                   5 if sample is None else int(sample), tuple(opts.get("ignore_columns") or ()))


def diff(session: Any, opts: dict[str, Any] | None = None, **kwargs: Any) -> DiffReport:
    """Compare the selected models (opts or keywords: select / exclude / selector and the DiffRequest's
    fields: state, state_target, primary_key, sample, ignore_columns).

    From Python: `diff("path/to/project", select=["orders"], state="prod-artifacts", target="ci")`: a
    project folder stands for a session over it (`profiles_dir=` where profiles.yml is not found as the
    CLI finds it); the report's `to_dict()` is `--output json`'s shape, `exit_code()` the CLI's."""
    from pathlib import Path

    from mason.adapters.factory import open_adapter

    opts = {**(opts or {}), **kwargs}
    if isinstance(session, str | Path):
        from mason.session import Session

        profiles = opts.pop("profiles_dir", None)
        session = Session(project_dir=Path(session).resolve(), target=opts.pop("target", None),
                          profiles_dir=Path(profiles).resolve() if profiles else None)
    for name in ("select", "exclude", "primary_key", "ignore_columns"):
        if isinstance(opts.get(name), str):
            opts[name] = (opts[name],)
    request = DiffRequest.from_opts(opts)
    if request.sample < 0:
        raise UsageError("--sample must be 0 or more")
    state = read_state(request.state)  # before parsing: --state may be this target's own folder
    parsed = api.parse_and_write(session)
    target = parsed.loaded.target
    if state.adapter_type and state.adapter_type != target.type:
        raise UsageError(f"the state's manifest was built on {state.adapter_type}, this target is {target.type}",
                         hint="mason diff compares two relations in one warehouse")
    ids = _selected(parsed, session, opts)
    options = _options(request, parsed, ids)
    models = _models(parsed, state, ids)
    report = DiffReport(str(request.state))
    if not models:
        return report
    adapter = open_adapter(target, session, parsed.loaded.project.quoting)
    try:
        make = getattr(adapter, "diff_dialect", None)
        if make is not None:
            dialect = make()
        else:
            from mason.adapters.diff_sql import DiffDialect

            dialect = DiffDialect(adapter)
        if request.state_target:
            from dataclasses import replace

            from mason.project.profiles import load_target

            other = load_target(session.project_dir, target.profile_name, request.state_target,
                                session.profiles_dir, session.env, session.cli_vars)
            options = replace(options, state_database=dialect.reach(other))
        workers = max(1, min(target.threads, len(models)))
        if workers == 1:
            report.models = [compare(adapter, dialect, m, options) for m in models]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="mason-diff") as pool:
                report.models = list(pool.map(lambda m: compare(adapter, dialect, m, options), models))
    finally:
        adapter.close()
    return report


def _selected(parsed: Any, session: Any, opts: dict[str, Any]) -> list[str]:
    """The selected models, seeds and snapshots through the normal selection (state: methods included);
    a plain name that selects nothing is an error, not an empty diff."""
    ids = api.selected(parsed, session, opts, RELATION_TYPES)
    names = sorted({n.name for n in parsed.manifest.nodes.values() if n.resource_type in RELATION_TYPES})
    for token in (t for value in opts.get("select") or () for t in value.replace(",", " ").split()):
        m = _PLAIN.match(token)
        if m is None or ":" in token:
            continue
        if not api.select(parsed, select=[token], resource_types=RELATION_TYPES):
            name = m.group(1).split(".")[-1]
            raise UsageError(f"-s {token} selects no model, seed or snapshot",
                             hint=did_you_mean(name, names) or "list them with `mason ls --resource-type model`")
    return sorted(ids)


def _options(request: DiffRequest, parsed: Any, ids: list[str]) -> Options:
    every: tuple[str, ...] = ()
    per_model: dict[str, tuple[str, ...]] = {}
    known = {parsed.manifest.nodes[uid].name for uid in ids}
    for value in request.primary_key:
        name, sep, cols = value.partition("=")
        columns = tuple(c.strip() for c in (cols if sep else name).split(",") if c.strip())
        if not columns:
            raise UsageError(f"--primary-key {value!r} names no column", hint="e.g. --primary-key order_id,line")
        if sep:
            if name.strip() not in known:
                raise UsageError(f"--primary-key {value!r}: {name.strip()!r} is not a selected model",
                                 hint=did_you_mean(name.strip(), sorted(known)))
            per_model[name.strip()] = columns
        else:
            every = columns
    ignore = frozenset(c.strip().lower() for v in request.ignore_columns for c in v.split(",") if c.strip())
    return Options(sample=request.sample, primary_key=every, keys=per_model, ignore_columns=ignore)


def _models(parsed: Any, state: StateManifest, ids: list[str]) -> list[Model]:
    manifest = parsed.manifest
    tests = tests_by_node(manifest)
    out = []
    for uid in ids:
        node = manifest.nodes.get(uid)
        if node is None or node.resource_type not in RELATION_TYPES:
            continue
        dev = Place(node.database, node.schema, node.alias or node.name, node.config.get("materialized"))
        hints = [hints_from_manifest(manifest, uid, tests)]
        if uid in state.nodes:
            hints.append(state.hints(uid))
        out.append(Model(uid, node.name, dev, state.place(uid), hints))
    return out
