"""The values no output may show: secret env vars (DBT_ENV_SECRET_*, MASON_SECRET_*), hidden profile fields
(password, token, ...) and every value `secret()` resolved. Whatever writes text a person or a program can
read (console and JSON log lines, logs/dbt.log, files under target/, error messages) passes it through
`scrub`, which replaces each registered value with `*****`.

The set only grows during a process; it is kept as a tuple replaced whole (longest value first, so a
secret containing another is masked entirely), so readers on other threads never see it half-changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MASK = "*****"
MIN_LENGTH = 3  # shorter values would mask half of every line ("1", "on"): not treated as secrets

_values: tuple[str, ...] = ()


def register(values: Iterable[str]) -> None:
    """Values that must never reach an output from now on."""
    global _values
    new = [v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH and v not in _values]
    if new:
        _values = tuple(sorted({*_values, *new}, key=lambda v: (-len(v), v)))


def registered() -> tuple[str, ...]:
    return _values


def scrub(text: str) -> str:
    """`text` with every registered value replaced by *****."""
    for value in _values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def scrub_json(text: str) -> str:
    """JSON text (json.dumps with its default ASCII escaping): values are matched as they appear inside a JSON
    string, where quotes, backslashes, control and non-ASCII characters are escaped."""
    for value in _values:
        for form in dict.fromkeys((json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1])):
            if form in text:
                text = text.replace(form, MASK)
    return text
