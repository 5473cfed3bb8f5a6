"""DuckDB, the embedded default warehouse."""
