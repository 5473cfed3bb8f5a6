"""Command bodies: each takes a Session and options, calls the pipeline and prints results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from mason import api
from mason.artifacts.writer import flush_writes
from mason.errors import UsageError
from mason.observe.masking import scrub

if TYPE_CHECKING:
    from mason.nodes.manifest import AnyNode

DEFAULT_LS_TYPES = ("model", "seed", "snapshot", "test", "unit_test", "source", "exposure", "metric",
                    "semantic_model", "saved_query")


def _echo(text: str) -> None:
    click.echo(scrub(text))


def parse(session: Any) -> int:
    import time

    start = time.perf_counter()
    prepared = api.prepare(session)
    if api.parse_is_current(session, prepared):
        if not session.flags.quiet:
            _echo(f"Nothing changed since the last parse; target/manifest.json is current "
                  f"({time.perf_counter() - start:.2f}s)")
        return 0
    parsed = api.parse_and_write(session, light=True, prepared=prepared)
    if parsed.manifest.metrics or parsed.manifest.semantic_models:
        from mason.api.semantic import graph

        graph(parsed)  # the semantic layer's problems, each with its file and line, fail the parse as in dbt
    n = len(parsed.manifest.nodes)
    if not session.flags.quiet:
        _echo(f"Parsed {n} nodes, {len(parsed.manifest.sources)} sources and {len(parsed.manifest.macros)} macros "
              f"in {time.perf_counter() - start:.2f}s; wrote {parsed.loaded.project.target_path}/manifest.json")
    return 0


def _selector_string(node: AnyNode) -> str:
    rtype = node.resource_type
    if rtype == "source":
        return f"source:{node.package_name}.{node.source_name}.{node.name}"  # type: ignore[union-attr]
    if rtype in ("exposure", "metric", "semantic_model", "saved_query"):
        return f"{rtype}:{node.package_name}.{node.name}"
    if rtype == "unit_test":
        return f"unit_test:{node.package_name}.{node.name}"
    return ".".join(node.fqn)


_LS_JSON_KEYS = ("name", "resource_type", "package_name", "original_file_path", "unique_id", "alias", "config",
                 "tags", "depends_on")
_LS_SOURCE_KEYS = ("name", "resource_type", "package_name", "original_file_path", "unique_id", "source_name",
                   "config", "tags")


def _full_dict(node: AnyNode, relation_names: dict[str, str | None]) -> dict[str, Any]:
    from mason.nodes import dicts as art
    from mason.nodes.nodes import Exposure, GenericNode, Node, SourceDefinition

    if isinstance(node, Node):
        return art.node_dict(node, relation_names.get(node.unique_id))
    if isinstance(node, SourceDefinition):
        return art.source_dict(node)
    if isinstance(node, Exposure):
        return art.exposure_dict(node)
    if isinstance(node, GenericNode):
        return art.generic_dict(node)
    return {}


def _ls_json(node: AnyNode, keys: tuple[str, ...], relation_names: dict[str, str | None]) -> str:
    full = _full_dict(node, relation_names)
    if not keys:
        wanted = _LS_SOURCE_KEYS if node.resource_type == "source" else _LS_JSON_KEYS
        return json.dumps({k: full[k] for k in wanted if k in full})
    out: dict[str, Any] = {}
    for key in keys:
        value: Any = full
        found = True
        for part in key.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                found = False
                break
        if found:
            out[key] = value
    return json.dumps(out)


def ls(session: Any, opts: dict[str, Any]) -> int:
    output = opts.get("output") or "selector"
    parsed = None
    compares = any(m in token for token in (*(opts.get("select") or ()), *(opts.get("exclude") or ()))
                   for m in ("state:", "result:", "source_status:"))
    if output in ("selector", "name", "path") and not opts.get("selector") and not compares:
        parsed = api.parse_from_index(session, opts.get("select") or (), opts.get("exclude") or ())
    if parsed is None:
        parsed = api.parse_and_write(session)
    ids = api.selected(parsed, session, opts, DEFAULT_LS_TYPES)
    lines = ls_lines(parsed, ids, opts)
    if lines:
        _echo("\n".join(lines))
    elif not session.flags.quiet:
        click.echo("No nodes selected!", err=True)
    return 0


def ls_lines(parsed: Any, ids: set[str], opts: dict[str, Any]) -> list[str]:
    """`ls` output for the selected ids: selectors, names, paths or JSON."""
    output = opts.get("output") or "selector"
    lines = []
    names: dict[str, str | None] | None = None
    for uid in sorted(ids):
        node = parsed.manifest.get(uid)
        if node is None:
            continue
        if output == "selector":
            lines.append(_selector_string(node))
        elif output == "name":
            if node.resource_type == "source":
                lines.append(f"{node.source_name}.{node.name}")  # type: ignore[union-attr]
            else:
                lines.append(node.search_name if hasattr(node, "search_name") else node.name)  # type: ignore[union-attr]
        elif output == "path":
            if node.original_file_path:  # an upstream project's model has no file here
                lines.append(node.original_file_path)
        else:
            if names is None:
                names = api.relation_names(parsed)
            lines.append(_ls_json(node, tuple(opts.get("output_keys") or ()), names))
    return lines


def compile_(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.compile.compiler import Compiler
    from mason.compile.lazy_adapter import LazyAdapter
    from mason.memory import pause_collector

    parsed = api.parse_and_write(session)
    target = parsed.loaded.target
    adapter = LazyAdapter(target.type, lambda: open_adapter(target, session, parsed.loaded.project.quoting))
    try:
        compiler = Compiler(session, parsed, adapter=adapter)
        if opts.get("inline"):
            sql = compiler.compile_inline(opts["inline"])
            _echo(sql)
            return 0
        ids = api.selected(parsed, session, opts, ("model", "seed", "snapshot", "test", "analysis"))
        ids = {uid for uid in ids if not (uid in parsed.manifest.nodes and parsed.manifest.nodes[uid].is_external)}
        if not opts.get("select") and not opts.get("selector"):
            ids |= {uid for uid, n in parsed.manifest.nodes.items() if n.resource_type == "operation"}
        compiler.factory.selected_resources = sorted(ids)
        if opts.get("defer"):
            from mason.api.defer import deferred_relations

            compiler.deferred = deferred_relations(session, parsed, opts, ids, compiler, adapter)
        results = compiler.compile_selected(ids)
    finally:
        adapter.close()
    flush_writes()
    pause_collector()
    api.write_artifacts(session, parsed, {uid: r.manifest_fields() for uid, r in results.items()})
    if not session.flags.quiet:
        _echo(f"Compiled {len(results)} nodes into {parsed.loaded.project.target_path}/compiled/")
    if len(results) == 1 and opts.get("select"):
        only = next(iter(results.values()))
        _echo(only.compiled_code)
    return 0


def clean(session: Any) -> int:
    from mason.project.loader import load

    loaded = load(session)
    root = loaded.project.root.resolve()
    for target in loaded.project.clean_targets:
        path = (root / target).resolve()
        if root not in path.parents and path != root:
            raise UsageError(f"clean-target {target!r} is outside the project; refusing to delete it")
        if path == root:
            raise UsageError("refusing to delete the project folder itself")
        if path.exists():
            shutil.rmtree(path)
            _echo(f"Removed {target}/")
    return 0


def debug(make_session: Callable[[str, dict[str, Any]], Any], opts: dict[str, Any]) -> int:
    import platform

    from mason import __version__
    from mason.errors import MasonError
    from mason.project.profiles import find_profiles_file

    ok = True
    if opts.get("config_dir"):
        session = make_session("debug", opts)
        path = find_profiles_file(session.project_dir, session.profiles_dir, session.env)
        _echo(f"To view your profiles.yml file, run:\n\n  cat {path}")
        return 0
    _echo(f"mason version: {__version__}")
    _echo(f"python version: {platform.python_version()}")
    _echo(f"os info: {platform.platform()}")
    try:
        session = make_session("debug", opts)
        from mason.project.loader import load

        loaded = load(session)
        _echo(f"Using profiles.yml file at {loaded.target.profiles_path}")
        _echo(f"Using dbt_project.yml file at {loaded.project.root / 'dbt_project.yml'}")
        _echo("Configuration:")
        _echo("  profiles.yml file [OK found and valid]")
        _echo("  dbt_project.yml file [OK found and valid]")
        _echo("Required dependencies:")
        _echo(" - git [OK found]" if shutil.which("git") else " - git [not found]")
        _echo("Connection:")
        target = loaded.target
        for key in ("type", "database", "schema"):
            _echo(f"  {key}: {getattr(target, key)}")
        from mason.adapters.factory import connection_fields, open_adapter

        for key, value in connection_fields(target):
            _echo(f"  {key}: {value}")
        adapter = open_adapter(target, session)
        try:
            version = adapter.server_version()
            adapter.execute("select 1")
            _echo(f"  server version: {version}")
            _echo("  Connection test: [OK connection ok]")
        finally:
            adapter.close()
    except MasonError as exc:
        ok = False
        _echo(f"  [ERROR] {exc.render()}")
    except Exception as exc:
        ok = False
        _echo(f"  [ERROR] {type(exc).__name__}: {exc}")
    _echo("All checks passed!" if ok else "Some checks failed; see above.")
    return 0 if ok else 1


def init(project_name: str | None, skip_profile: bool, profiles_dir: str | None) -> int:
    from mason.api.scaffold import create_project

    return create_project(project_name, skip_profile, profiles_dir)


def execute(session: Any, opts: dict[str, Any], which: str) -> int:
    from mason.api.run import run_command

    return run_command(session, opts, which)


def show(session: Any, opts: dict[str, Any]) -> int:
    from mason.api.run import show

    return show(session, opts)


def run_operation(session: Any, macro: str, opts: dict[str, Any]) -> int:
    from mason.api.run import run_operation as run_op

    return run_op(session, macro, opts)


def docs_generate(session: Any, opts: dict[str, Any]) -> int:
    from mason.api.docs import generate

    return generate(session, opts)


def source_freshness(session: Any, opts: dict[str, Any]) -> int:
    from mason.api.freshness import run_freshness

    return run_freshness(session, opts)


def retry(session: Any, opts: dict[str, Any]) -> int:
    from mason.api.run import retry as retry_run

    return retry_run(session, opts)


