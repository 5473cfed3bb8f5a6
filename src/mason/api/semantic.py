"""`mason sl ...` and `mason.api.semantic.query(...)`: metric queries over the parsed project."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mason import api
from mason.errors import MasonError, UsageError, did_you_mean
from mason.semantic.graph import SemanticGraph, build_graph, source_line
from mason.semantic.sql import Query, compile_query


@dataclass(frozen=True, slots=True)
class Result:
    sql: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_arrow(self) -> Any:
        """The rows as a pyarrow Table (pyarrow must be installed)."""
        import pyarrow as pa

        return pa.table({c: [row[i] for row in self.rows] for i, c in enumerate(self.columns)})

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def graph(parsed: api.Parsed) -> SemanticGraph:
    names = api.relation_names(parsed)
    roots = {p.name: p.root for p in parsed.loaded.packages}
    try:
        return build_graph(parsed.manifest, lambda node: names.get(node.unique_id) or node.name, roots)
    except MasonError:
        # a later `mason parse` must not call this manifest current: it reparses and reports the problems
        (parsed.loaded.target_dir / "manifest.json").unlink(missing_ok=True)
        raise


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def query(session: Any, query: Query | None = None, explain: bool = False, parsed: api.Parsed | None = None,
          saved: str | None = None, *, metrics: Any = (), group_by: Any = (), where: Any = (), order_by: Any = (),
          limit: int | None = None, start_time: str | None = None, end_time: str | None = None,
          target: str | None = None, profiles_dir: Any = None) -> Result:
    """Compile the query (or the saved query `saved`, with the query's order, limit and bounds) against the
    project's semantic graph and, unless `explain`, run it on the target's warehouse.

    From Python: `query("path/to/project", metrics=["revenue"], group_by=["metric_time__month"],
    where=["{{ Dimension('customer__region') }} = 'EU'"], order_by=["-revenue"], limit=10)`: a project
    folder stands for a session over it (profiles.yml found as the CLI finds it, or `profiles_dir=`).
    """
    from dataclasses import replace
    from pathlib import Path

    from mason.adapters.factory import open_adapter
    from mason.adapters.target import SQL_DIALECTS

    if isinstance(session, str | Path):
        from mason.session import Session

        session = Session(project_dir=Path(session).resolve(),
                          profiles_dir=Path(profiles_dir).resolve() if profiles_dir else None, target=target)
    if query is None:
        query = Query(_listed(metrics), _listed(group_by), _listed(where), _listed(order_by), limit, start_time,
                      end_time)
    parsed = parsed or api.parse_and_write(session)
    if saved is not None:
        base = saved_query(parsed, saved)
        query = replace(base, group_by=base.group_by + query.group_by,
                        where=base.where + query.where, order_by=query.order_by, limit=query.limit,
                        start_time=query.start_time, end_time=query.end_time)
    sql = compile_query(graph(parsed), query, SQL_DIALECTS.get(parsed.loaded.target.type))
    if explain:
        return Result(sql, (), ())
    adapter = open_adapter(parsed.loaded.target, session, parsed.loaded.project.quoting)
    try:
        _, table = adapter.execute(sql, fetch=True)
    finally:
        adapter.close()
    assert table is not None
    return Result(sql, tuple(table.column_names), tuple(tuple(r) for r in table.rows))


_CALL = re.compile(r"""^\s*(TimeDimension|Dimension|Entity)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)\s*$""")


def saved_query(parsed: api.Parsed, name: str) -> Query:
    """A saved query's parameters as a Query (`TimeDimension('x', 'month')` group-bys become `x__month`)."""
    found = next((sq for sq in parsed.manifest.saved_queries.values() if sq.name == name), None)
    if found is None:
        known = sorted(sq.name for sq in parsed.manifest.saved_queries.values())
        raise UsageError(f"saved query {name!r} is not defined", hint=did_you_mean(name, known)
                         or f"saved queries: {', '.join(known) or 'none'}")
    params = found.data.get("query_params") or {}
    group_by = []
    for item in params.get("group_by") or []:
        call = _CALL.match(str(item))
        if call is None:
            group_by.append(str(item).strip())
        else:
            group_by.append(call.group(2) + (f"__{call.group(3)}" if call.group(3) else ""))
    where = params.get("where") or []
    return Query(tuple(str(m) for m in params.get("metrics") or []), tuple(group_by),
                 tuple([where] if isinstance(where, str) else [str(w) for w in where]))


def validate(session: Any) -> list[str]:
    """The graph's problems, then every sound metric compiled alone and by metric_time and every saved query
    compiled: all the problems found, each with its file and line."""
    parsed = api.parse_and_write(session)
    names = api.relation_names(parsed)
    found: list[MasonError] = []
    g = build_graph(parsed.manifest, lambda node: names.get(node.unique_id) or node.name,
                    {p.name: p.root for p in parsed.loaded.packages}, found)
    problems = [error.render() for error in found]
    if found:  # as graph() does: a later `mason parse` must report them again
        (parsed.loaded.target_dir / "manifest.json").unlink(missing_ok=True)
    for name in sorted(g.metrics):
        # by metric_time (what windows and offsets need), alone when the metric's models have no time
        for group_by in (("metric_time",), ()):
            try:
                compile_query(g, Query((name,), group_by))
            except MasonError as exc:
                if group_by and "no time dimension" in str(exc):
                    continue
                metric = g.metrics[name]
                line = source_line(parsed.loaded.project.root, metric.path, "metrics", name)
                problems.append(f"{metric.path}{f':{line}' if line else ''}: metric {name}: {exc.render()}")
            break
    for sq in parsed.manifest.saved_queries.values():
        try:
            compile_query(g, saved_query(parsed, sq.name))
        except MasonError as exc:
            line = source_line(parsed.loaded.project.root, sq.original_file_path, "saved_queries", sq.name)
            problems.append(f"{sq.original_file_path}{f':{line}' if line else ''}: saved query {sq.name}: "
                            f"{exc.render()}")
    return problems


def listing(session: Any, what: str) -> list[dict[str, Any]]:
    """`mason sl list metrics|dimensions|entities|saved-queries`."""
    parsed = api.parse_and_write(session)
    g = graph(parsed)
    if what == "metrics":
        return [{"name": m.name, "type": m.type, "label": m.label, "description": m.description}
                for m in sorted(g.metrics.values(), key=lambda m: m.name)]
    if what == "dimensions":
        return [{"name": n, "type": t} for n, t in g.dimension_names()]
    if what == "entities":
        return sorted(({"name": e.name, "type": e.type, "semantic_model": model.name}
                       for model in g.models.values() for e in model.entities), key=lambda e: e["name"])
    if what == "saved-queries":
        return sorted(({"name": sq.name, "metrics": ",".join(saved_query(parsed, sq.name).metrics),
                        "group_by": ",".join(saved_query(parsed, sq.name).group_by)}
                       for sq in parsed.manifest.saved_queries.values()), key=lambda q: q["name"])
    raise ValueError(what)
