"""`mason diff`'s text output: per model its relations, schema differences, row counts, changed columns
with samples, in plain text tables that read the same in a terminal and in a CI log."""

from __future__ import annotations

from typing import Any

from mason.adapters.table import Table, format_table
from mason.diff.result import (
    DIFFERENT,
    ERROR,
    IDENTICAL,
    MISSING_IN_DEV,
    MISSING_IN_PROD,
    SKIPPED,
    DiffReport,
    ModelDiff,
    plain,
)

_LABELS = {IDENTICAL: "IDENTICAL", DIFFERENT: "DIFFERENT", MISSING_IN_PROD: "MISSING IN PROD",
           MISSING_IN_DEV: "MISSING IN DEV", SKIPPED: "SKIPPED", ERROR: "ERROR"}


def render(report: DiffReport, fail_on: str = "any") -> str:
    blocks = [render_model(m) for m in report.models]
    counts = report.counts()
    parts = [f"{n} {status.replace('_', ' ')}" for status, n in counts.items() if n]
    total = len(report.models)
    summary = (f"Compared {total} model{'s' if total != 1 else ''} with the state in {report.state}: "
               f"{', '.join(parts) or 'nothing selected'}")
    return "\n\n".join([*blocks, summary])


def _value(v: Any) -> str:
    v = plain(v)
    return "null" if v is None else str(v)


def _keys(rows: list[dict[str, Any]]) -> str:
    shown = []
    for r in rows:
        if "row" in r:  # a whole row (compared by hash)
            text = ", ".join(f"{k}={_value(v)}" for k, v in r["row"].items())
            shown.append(f"({text})" + (f" x{r['copies']}" if r.get("copies", 1) != 1 else ""))
        else:
            shown.append(", ".join(_value(v) for v in r.values()) if len(r) == 1
                         else "(" + ", ".join(f"{k}={_value(v)}" for k, v in r.items()) + ")")
    return "; ".join(shown)


def render_model(m: ModelDiff) -> str:
    how = ""
    if m.key:
        how = f"  by primary key {', '.join(m.key)} ({m.key_source})"
    elif m.rows is not None:
        how = "  by whole rows (no primary key)"
    lines = [f"{m.unique_id}  {_LABELS[m.status]}{how}"]
    if m.prod_relation:
        lines.append(f"  prod: {m.prod_relation}")
    if m.dev_relation:
        lines.append(f"  dev:  {m.dev_relation}")
    if m.error:
        lines.append(f"  error: {m.error}")
    if m.schema is not None and m.schema.different:
        lines.append("  schema:")
        lines += [f"    + {n} {t} (only in dev)" for n, t in m.schema.only_in_dev]
        lines += [f"    - {n} {t} (only in prod)" for n, t in m.schema.only_in_prod]
        lines += [f"    ~ {n} {p} -> {d}" for n, p, d in m.schema.type_changes]
    r = m.rows
    if r is not None:
        delta = r.dev - r.prod
        lines.append(f"  rows: prod {r.prod}, dev {r.dev}" + (f" ({delta:+d})" if delta else ""))
        unit = "key" if m.key else "row"
        for label, count, sample in (("only in prod", r.only_in_prod, r.sample_only_in_prod),
                                     ("only in dev", r.only_in_dev, r.sample_only_in_dev)):
            if count:
                lines.append(f"    {label}: {count} {unit}{'s' if count != 1 else ''}"
                             + (f"  e.g. {_keys(sample)}" if sample else ""))
        if r.matched is not None:
            lines.append(f"    matched keys: {r.matched}, changed: {r.changed}, identical: {r.matched - (r.changed or 0)}")
    changed = [c for c in m.columns if c.changed]
    if changed:
        key_head = ", ".join(m.key)
        table_rows: list[tuple[Any, ...]] = []
        for c in changed:
            if not c.sample:
                table_rows.append((c.name, c.changed, "", "", ""))
            for i, (key, p, d) in enumerate(c.sample):
                table_rows.append((c.name if i == 0 else "", c.changed if i == 0 else "",
                                   ", ".join(_value(v) for v in key.values()), _value(p), _value(d)))
        lines.append("  changed columns:")
        table = format_table(Table(["column", "rows changed", key_head, "prod", "dev"], table_rows))
        lines += ["    " + line for line in table.splitlines()]
    elif m.key and m.rows is not None and m.columns:
        lines.append(f"    no value changed in {len(m.columns)} compared column{'s' if len(m.columns) != 1 else ''}")
    lines += [f"  note: {n}" for n in m.notes]
    return "\n".join(lines)
