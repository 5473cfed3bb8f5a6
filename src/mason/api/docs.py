"""`mason docs generate`: the catalog of the selected relations and the documentation site (docs/docs_site.md);
`mason docs serve`: that site over HTTP."""

from __future__ import annotations

import sys
import time
from typing import Any

from mason.artifacts.manifest import metadata
from mason.artifacts.writer import write_json
from mason.errors import UsageError
from mason.execute.catalog import SCHEMA, _catalog_rows, _entry
from mason.observe.masking import scrub


def generate(session: Any, opts: dict[str, Any]) -> int:
    from mason.adapters.factory import open_adapter
    from mason.api import parse_and_write, selected
    from mason.compile.compiler import Compiler

    start = time.perf_counter()
    parsed = parse_and_write(session)
    manifest = parsed.manifest
    ids = selected(parsed, session, opts, ("model", "seed", "snapshot", "source", "test", "analysis"))
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    compiled: dict[str, str] = {}
    relations: dict[str, str] = {}
    quality: Any = None
    try:
        compiler = Compiler(session, parsed, adapter)
        if not opts.get("no_compile"):
            done = compiler.compile_selected({u for u in ids if u in manifest.nodes
                                              and manifest.nodes[u].resource_type in ("model", "test", "analysis")})
            compiled = {uid: c.compiled_code for uid, c in done.items() if c.compiled_code}
        for uid, each in manifest.nodes.items():
            if each.resource_type in ("model", "seed", "snapshot") and not each.is_ephemeral:
                relations[uid] = str(compiler.relation_name(each) or "")
        if not opts.get("empty_catalog"):
            wanted: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
            for uid in ids:
                node = manifest.nodes.get(uid)
                if node is not None and node.resource_type in ("model", "seed", "snapshot") and not node.is_ephemeral:
                    wanted.setdefault((node.database or "", node.schema or ""), []).append((uid, node.alias or "", "n"))
                src = manifest.sources.get(uid)
                if src is not None:
                    wanted.setdefault((src.database or "", src.schema), []).append((uid, src.identifier, "s"))
            for (database, schema), items in sorted(wanted.items()):
                rows = _catalog_rows(adapter, database, schema)
                for uid, ident, kind in items:
                    found = rows.get(ident.lower())
                    if found is None:
                        continue
                    (nodes if kind == "n" else sources)[uid] = _entry(uid, database, schema, found)
        if not opts.get("no_site"):
            quality = _quality(parsed, adapter)
    finally:
        adapter.close()
    data = {"metadata": metadata(SCHEMA, session.invocation_id, session.started_at, dict(session.env)),
            "nodes": nodes, "sources": sources, "errors": None}
    write_json(parsed.loaded.target_dir / "catalog.json", data)
    site = ""
    if quality is not None:
        from mason.docsite.payload import build
        from mason.docsite.site import write_site

        payload = build(manifest, {**nodes, **sources}, compiled, relations, quality.statuses, quality.timings,
                        quality.dash, parsed.loaded.project.name, parsed.loaded.target.type)
        write_site(parsed.loaded.target_dir, payload)
        site = f" and the site {parsed.loaded.project.target_path}/index.html (runs from {quality.dash['from']})"
    if not session.flags.quiet:
        print(f"Catalog written to {parsed.loaded.project.target_path}/catalog.json: {len(nodes)} nodes, "
              f"{len(sources)} sources{site}, in {time.perf_counter() - start:.2f}s")
    return 0


def _quality(parsed: Any, adapter: Any) -> Any:
    """The dashboard's data: the run history when the warehouse has it, else the artifacts in target/."""
    from mason.docsite.dashboard import from_artifacts, from_history
    from mason.monitor.config import history_settings
    from mason.monitor.report import HistoryTables

    loaded = parsed.loaded
    try:
        settings = history_settings(loaded.project.monitoring, {}, lambda m: None)
        tables = HistoryTables(adapter, settings.database or getattr(adapter, "database", None), settings.schema)
        if tables.exists():
            return from_history(tables, parsed.manifest)
    except Exception as exc:  # an unreachable or foreign history: the artifacts will do
        try:
            adapter.rollback()
        except Exception:
            pass
        print(scrub(f"Warning: could not read the run history ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                    "the dashboard uses target/ artifacts"), file=sys.stderr)
    return from_artifacts(loaded.target_dir, parsed.manifest)


def serve(session: Any, opts: dict[str, Any], echo: Any = print) -> int:
    """`mason docs serve`: the site in target/ over HTTP until interrupted."""
    from mason.docsite.serve import serve_dir
    from mason.project.loader import load

    loaded = load(session)
    if not (loaded.target_dir / "index.html").is_file():
        raise UsageError(f"no documentation site in {loaded.project.target_path}/",
                         hint="run `mason docs generate` first")
    return serve_dir(loaded.target_dir, str(opts.get("host") or "127.0.0.1"), int(opts.get("port") or 8080),
                     bool(opts.get("browser")), echo)
