"""The chosen target of a profile, as the adapters receive it (the project layer reads profiles.yml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The warehouses Mason has adapters for (adapters/<type>/, registered in adapters/factory.py).
SUPPORTED_ADAPTERS = ("duckdb", "postgres", "spark")
# The sqlglot dialect each warehouse's SQL is written in (queries Mason writes once, such as metric queries,
# are transpiled to it).
SQL_DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "spark": "spark"}
# An adapter whose SQL builds on another's names it here, so dispatch tries `<type>__`, then the parents'
# prefixes, then `default__`. None does: dbt-duckdb does not inherit from dbt-postgres.
DISPATCH_PARENTS: dict[str, tuple[str, ...]] = {}
# Fields never exposed through `target` in Jinja.
HIDDEN_TARGET_FIELDS = frozenset({"password", "pass", "token", "private_key", "private_key_passphrase"})


@dataclass(frozen=True, slots=True)
class Target:
    profile_name: str
    target_name: str
    type: str
    threads: int
    database: str
    schema: str
    credentials: dict[str, Any] = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False, default=())  # secret values, to scrub from output
    profiles_path: str = ""

    def context(self) -> dict[str, Any]:
        """The `target` variable in Jinja: the output's fields minus secrets."""
        out = {k: v for k, v in self.credentials.items() if k not in HIDDEN_TARGET_FIELDS}
        out.update(
            name=self.target_name, target_name=self.target_name, profile_name=self.profile_name,
            type=self.type, threads=self.threads, database=self.database, schema=self.schema,
        )
        if self.type == "postgres":
            out.setdefault("dbname", self.database)
        return out


def database_and_schema(adapter_type: str, output: dict[str, Any]) -> tuple[str, str]:
    """The database and schema a profile output names, read the way each warehouse's dbt adapter reads them."""
    if adapter_type == "duckdb":
        path = str(output.get("path") or ":memory:")
        database = output.get("database")
        if not database:
            database = "memory" if path == ":memory:" or path.startswith(":memory:") else Path(path).stem
        return str(database), str(output.get("schema") or "main")
    if adapter_type == "postgres":
        return str(output.get("dbname") or output.get("database") or ""), str(output.get("schema") or "public")
    if adapter_type == "spark":
        return "", str(output.get("schema") or "default")
    return str(output.get("database") or ""), str(output.get("schema") or "")
