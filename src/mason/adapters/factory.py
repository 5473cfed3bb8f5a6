"""Open the adapter a target names; drivers are imported only here, lazily."""

from __future__ import annotations

from typing import Any

from mason.adapters.target import SUPPORTED_ADAPTERS, Target
from mason.errors import ProjectError


def open_adapter(target: Target, session: Any, quoting: dict[str, Any] | None = None) -> Any:
    if target.type == "duckdb":
        from mason.adapters.duckdb.adapter import DuckDBAdapter

        return DuckDBAdapter(target, session.project_dir, quoting)
    if target.type == "postgres":
        from mason.adapters.postgres.adapter import PostgresAdapter

        return PostgresAdapter(target, session.project_dir, quoting)
    if target.type == "spark":
        from mason.adapters.spark.adapter import SparkAdapter

        return SparkAdapter(target, session.project_dir, quoting)
    raise ProjectError(
        f"adapter type {target.type!r} is not supported",
        hint="Mason supports type: " + ", ".join(SUPPORTED_ADAPTERS),
    )


def connection_fields(target: Target) -> list[tuple[str, str]]:
    """The target's connection settings worth showing in `mason debug` (never secrets), read without
    connecting, so they are shown even when the connection fails."""
    if target.type == "postgres":
        from mason.adapters.postgres.connect import ConnectionSettings

        return [(k, v) for k, v in ConnectionSettings.from_target(target).describe() if k != "database"]
    if target.type == "spark":
        from mason.adapters.spark.connect import SparkSettings

        return SparkSettings.from_target(target).describe()
    return []
