"""dbt's flags as orchestrators set them: every flag dbt-core 1.11 reads from the environment is read from the same
variables, with dbt's precedence: the command line, then the environment, then `flags:` in dbt_project.yml, then
the default.

Each flag has three spellings, first set wins: `MASON_<NAME>` (Mason's alias), `DBT_ENGINE_<NAME>` (dbt 1.11's
canonical name) and `DBT_<NAME>`; a few also read dbt's deprecated names (DBT_ARTIFACT_STATE_PATH,
DBT_DEFER_TO_STATE, DBT_FAVOR_STATE_MODE, DBT_NO_PRINT). Booleans take click's spellings (1/0, true/false, yes/no,
on/off, t/f, y/n); an unknown value is a usage error (exit 2), as in dbt.

The list is dbt-core 1.11's: the `envvar` of each click parameter of each dbt command (`--threads`, `--vars`,
`--select` and `--exclude` have none, there or here). Flags that change nothing in Mason (parser and cache tuning,
usage statistics Mason never sends, dbt Cloud uploads) are accepted and recorded in `Flags.settings`, where
`flags.<NAME>` in Jinja reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# option name (as the CLI's opts dict spells it) -> the NAME in DBT_<NAME>
ENV_NAMES: dict[str, str] = {
    "cache_selected_only": "CACHE_SELECTED_ONLY",
    "clean_project_files_only": "CLEAN_PROJECT_FILES_ONLY",
    "debug": "DEBUG",
    "defer": "DEFER",
    "defer_state": "DEFER_STATE",
    "empty": "EMPTY",
    "event_time_end": "EVENT_TIME_END",
    "event_time_start": "EVENT_TIME_START",
    "exclude_resource_type": "EXCLUDE_RESOURCE_TYPES",
    "export_saved_queries": "EXPORT_SAVED_QUERIES",
    "fail_fast": "FAIL_FAST",
    "favor_state": "FAVOR_STATE",
    "full_refresh": "FULL_REFRESH",
    "host": "HOST",
    "include_saved_query": "INCLUDE_SAVED_QUERY",
    "indirect_selection": "INDIRECT_SELECTION",
    "introspect": "INTROSPECT",
    "log_cache_events": "LOG_CACHE_EVENTS",
    "log_file_max_bytes": "LOG_FILE_MAX_BYTES",
    "log_format": "LOG_FORMAT",
    "log_format_file": "LOG_FORMAT_FILE",
    "log_level": "LOG_LEVEL",
    "log_level_file": "LOG_LEVEL_FILE",
    "log_path": "LOG_PATH",
    "macro_debugging": "MACRO_DEBUGGING",
    "partial_parse": "PARTIAL_PARSE",
    "partial_parse_file_diff": "PARTIAL_PARSE_FILE_DIFF",
    "partial_parse_file_path": "PARTIAL_PARSE_FILE_PATH",
    "populate_cache": "POPULATE_CACHE",
    "print": "PRINT",
    "printer_width": "PRINTER_WIDTH",
    "profile": "PROFILE",
    "profiles_dir": "PROFILES_DIR",
    "project_dir": "PROJECT_DIR",
    "quiet": "QUIET",
    "resource_type": "RESOURCE_TYPES",
    "sample": "SAMPLE",
    "send_anonymous_usage_stats": "SEND_ANONYMOUS_USAGE_STATS",
    "show_resource_report": "SHOW_RESOURCE_REPORT",
    "single_threaded": "SINGLE_THREADED",
    "sqlparse": "SQLPARSE",
    "state": "STATE",
    "static_parser": "STATIC_PARSER",
    "store_failures": "STORE_FAILURES",
    "target": "TARGET",
    "target_path": "TARGET_PATH",
    "upload_to_artifacts_ingest_api": "UPLOAD_TO_ARTIFACTS_INGEST_API",
    "use_colors": "USE_COLORS",
    "use_colors_file": "USE_COLORS_FILE",
    "use_experimental_parser": "USE_EXPERIMENTAL_PARSER",
    "use_fast_test_edges": "USE_FAST_TEST_EDGES",
    "version_check": "VERSION_CHECK",
    "warn_error": "WARN_ERROR",
    "warn_error_options": "WARN_ERROR_OPTIONS",
    "write_json": "WRITE_JSON",
}

# dbt's older names, read after the current ones
DEPRECATED: dict[str, tuple[str, ...]] = {
    "state": ("DBT_ENGINE_ARTIFACT_STATE_PATH", "DBT_ARTIFACT_STATE_PATH"),
    "defer": ("DBT_ENGINE_DEFER_TO_STATE", "DBT_DEFER_TO_STATE"),
    "favor_state": ("DBT_ENGINE_FAVOR_STATE_MODE", "DBT_FAVOR_STATE_MODE"),
}

# the flags `flags:` in dbt_project.yml may set (dbt-core 1.11's ProjectFlags less its behaviour flags)
PROJECT_FLAGS = frozenset({
    "cache_selected_only", "debug", "fail_fast", "indirect_selection", "log_format", "log_format_file", "log_level",
    "log_level_file", "partial_parse", "populate_cache", "printer_width", "send_anonymous_usage_stats",
    "static_parser", "use_colors", "use_colors_file", "use_experimental_parser", "version_check", "warn_error",
    "warn_error_options", "write_json",
})

# the value when neither the command line, the environment nor dbt_project.yml sets it
DEFAULTS: dict[str, Any] = {
    "cache_selected_only": False, "debug": False, "fail_fast": False, "indirect_selection": "eager",
    "log_format": "default", "log_format_file": "debug", "log_level": "info", "log_level_file": "debug",
    "log_file_max_bytes": 10 * 1024 * 1024, "partial_parse": True, "populate_cache": True, "print": True,
    "printer_width": 80, "quiet": False, "send_anonymous_usage_stats": True, "static_parser": True,
    "use_colors": True, "use_colors_file": True, "use_experimental_parser": False, "version_check": True,
    "warn_error": False, "warn_error_options": {}, "write_json": True, "introspect": True, "empty": False,
    "full_refresh": False, "store_failures": False, "defer": False, "favor_state": False,
    "log_cache_events": False, "macro_debugging": False, "partial_parse_file_diff": True,
    "single_threaded": False, "use_fast_test_edges": False, "show_resource_report": False,
    "upload_to_artifacts_ingest_api": False, "export_saved_queries": False, "include_saved_query": False,
    "clean_project_files_only": True,
}

# an explicitly set lead applies to its follower unless that is set too (the console's setting to the file's)
LEADS = (("use_colors", "use_colors_file"), ("log_level", "log_level_file"), ("log_format", "log_format_file"))

_TRUE = frozenset({"1", "t", "true", "y", "yes", "on"})


def envvars(option: str) -> list[str]:
    """The variables `option` is read from, first set wins."""
    name = ENV_NAMES[option]
    return [f"MASON_{name}", f"DBT_ENGINE_{name}", f"DBT_{name}", *DEPRECATED.get(option, ())]


def project_flags(project_dir: Path) -> dict[str, Any]:
    """`flags:` of dbt_project.yml (read as plain YAML: the loader reports a file that is not)."""
    import yaml

    try:
        data = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    flags = data.get("flags") if isinstance(data, dict) else None
    return {k: v for k, v in flags.items() if k in PROJECT_FLAGS} if isinstance(flags, dict) else {}


def resolve(opts: Mapping[str, Any], from_project: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Every flag's value: `opts` holds what click read from the command line or the environment (None where
    neither set it), `from_project` the `flags:` of dbt_project.yml."""
    values: dict[str, Any] = {}
    for name in {*ENV_NAMES, *DEFAULTS}:
        value = opts.get(name)
        if value in (None, ()) and name in from_project:
            value = from_project[name]
        values[name] = value
    for lead, follow in LEADS:
        if values.get(lead) is not None and values.get(follow) is None:
            values[follow] = values[lead]
    for name, default in DEFAULTS.items():
        if values.get(name) is None:
            values[name] = default
    no_print = env.get("DBT_ENGINE_NO_PRINT") or env.get("DBT_NO_PRINT")
    if no_print is not None and no_print.strip().lower() in _TRUE:  # dbt: the old name wins over --print
        values["print"] = False
    if env.get("DO_NOT_TRACK", "").strip().lower() in _TRUE:
        values["send_anonymous_usage_stats"] = False
    return values
