"""Filters from untrusted callers (the HTTP API): only known dimensions, entities and literals.

A filter is MetricFlow's template SQL (`{{ Dimension('customer__region') }} = 'EU'`). Each template call is
replaced by a placeholder column, the result is parsed with sqlglot, and every node of the tree must be a
comparison, a boolean connective, a literal, a cast of a literal, `in`, `between`, `like` or `is null` over
those placeholders: a subquery, a function, a second statement, DDL or a bare column name is refused with a
message and never sent. The names inside the templates are checked by the query compiler.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from mason.errors import UsageError

_TEMPLATE = re.compile(r"{{\s*(Dimension|TimeDimension|Entity|Metric)\(([^{}]*)\)\s*}}")
_ARGS = re.compile(r"""\s*'[\w.]+'\s*(,\s*'[a-z]+'\s*)?""")
_METRIC_ARGS = re.compile(r"""\s*'\w+'\s*,\s*group_by\s*=\s*\[\s*'[\w.]+'\s*(,\s*'[\w.]+'\s*)*\]\s*""")
_ALLOWED = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not, exp.And,
    exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Is, exp.Like,
    exp.ILike, exp.Cast, exp.DataType, exp.Tuple, exp.NullSafeEQ, exp.NullSafeNEQ,
)


def check_filter(text: str, bare: frozenset[str] = frozenset()) -> None:
    """Raise UsageError unless `text` is a safe filter; `bare` names may stand as plain columns (the older
    metric spec's dimensions are columns of the metric's model)."""
    calls: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        args = match.group(2)
        if match.group(1) == "Metric":
            if not _METRIC_ARGS.fullmatch(args):
                raise UsageError(f"filter {text!r}: Metric({args}) takes a quoted metric name and "
                                 "group_by=['entity']")
        elif not _ARGS.fullmatch(args):
            raise UsageError(f"filter {text!r}: {match.group(1)}({args}) takes a quoted name (and a grain)")
        calls.append(match.group(0))
        return f"mason_filter_ref_{len(calls)}"

    sql = _TEMPLATE.sub(placeholder, text)
    if "{" in sql or "}" in sql:
        raise UsageError(f"filter {text!r}: only {{{{ Dimension('...') }}}}, TimeDimension, Entity and Metric templates "
                         "are allowed")
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise UsageError(f"filter {text!r} is not a SQL condition: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or statements[0] is None:
        raise UsageError(f"filter {text!r}: one condition only (no `;`)")
    tree = statements[0]
    for node in tree.walk():
        if not isinstance(node, _ALLOWED):
            raise UsageError(f"filter {text!r}: {type(node).__name__.lower()} is not allowed in a filter",
                             hint="compare dimensions with literals: {{ Dimension('customer__region') }} = 'EU'")
        if isinstance(node, exp.Column) and not node.name.startswith("mason_filter_ref_") and not (
                node.name in bare and not node.table):
            raise UsageError(f"filter {text!r}: {node.sql()!r} is not a dimension",
                             hint="name dimensions with {{ Dimension('entity__dimension') }}")
        if isinstance(node, exp.Cast) and not isinstance(node.this, exp.Literal):
            raise UsageError(f"filter {text!r}: only literals may be cast")
