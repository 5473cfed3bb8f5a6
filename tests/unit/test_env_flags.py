"""Every flag dbt-core 1.11 reads from the environment is read by Mason from the same variables (and their
MASON_ / DBT_ENGINE_ spellings), with dbt's precedence: command line > environment > `flags:` in dbt_project.yml >
default.

The list below is dbt-core 1.11.16's: each click parameter of each `dbt` command with an `envvar` (learnt by running
`dbt <command> --help` and printing `param.envvar` for the params of dbt's click commands). `--threads`, `--vars`,
`--select`, `--exclude` have no variable there, nor here. `--host` (dbt docs serve) has no Mason command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mason.cli import main as cli_main
from mason.cli.envflags import ENV_NAMES, PROJECT_FLAGS, envvars

Get = Callable[[Any], Any]


def _setting(name: str) -> Get:
    return lambda session: session.flags.settings[name]


# (option, command that has it, value set in the environment, expected value, how to read it from the Session)
TABLE: list[tuple[str, str, str, Any, Get]] = [
    ("cache_selected_only", "parse", "true", True, _setting("cache_selected_only")),
    ("clean_project_files_only", "clean", "false", False, _setting("clean_project_files_only")),
    ("debug", "parse", "1", True, lambda s: s.flags.debug),
    ("defer", "build", "true", True, _setting("defer")),
    ("defer_state", "build", "prod-artifacts", "prod-artifacts", _setting("defer_state")),
    ("empty", "build", "true", True, lambda s: s.flags.empty),
    ("event_time_end", "build", "2024-02-01", "2024-02-01", _setting("event_time_end")),
    ("event_time_start", "build", "2024-01-01", "2024-01-01", _setting("event_time_start")),
    ("exclude_resource_type", "ls", "test unit_test", ("test", "unit_test"), _setting("exclude_resource_type")),
    ("export_saved_queries", "build", "yes", True, _setting("export_saved_queries")),
    ("fail_fast", "build", "true", True, lambda s: s.flags.fail_fast),
    ("favor_state", "build", "on", True, _setting("favor_state")),
    ("full_refresh", "build", "1", True, lambda s: s.flags.full_refresh),
    ("include_saved_query", "ls", "true", True, _setting("include_saved_query")),
    ("indirect_selection", "ls", "cautious", "cautious", lambda s: s.flags.indirect_selection),
    ("introspect", "parse", "false", False, _setting("introspect")),
    ("log_cache_events", "parse", "true", True, _setting("log_cache_events")),
    ("log_file_max_bytes", "parse", "2048", 2048, lambda s: s.flags.log_file_max_bytes),
    ("log_format", "parse", "json", "json", lambda s: s.flags.log_format),
    ("log_format_file", "parse", "json", "json", lambda s: s.flags.log_format_file),
    ("log_level", "parse", "warn", "warn", lambda s: s.flags.log_level),
    ("log_level_file", "parse", "error", "error", lambda s: s.flags.log_level_file),
    ("log_path", "parse", "elsewhere/logs", "elsewhere/logs", lambda s: s.log_path),
    ("macro_debugging", "parse", "true", True, _setting("macro_debugging")),
    ("partial_parse", "parse", "false", False, lambda s: s.flags.partial_parse),
    ("partial_parse_file_diff", "parse", "false", False, _setting("partial_parse_file_diff")),
    ("partial_parse_file_path", "parse", "pp.msgpack", "pp.msgpack", _setting("partial_parse_file_path")),
    ("populate_cache", "parse", "false", False, _setting("populate_cache")),
    ("print", "parse", "false", False, lambda s: s.flags.print_output),
    ("printer_width", "parse", "120", 120, lambda s: s.flags.printer_width),
    ("profile", "parse", "other_profile", "other_profile", lambda s: s.profile),
    ("profiles_dir", "parse", "{tmp}", "{tmp}", lambda s: str(s.profiles_dir)),
    ("project_dir", "parse", "{tmp}", "{tmp}", lambda s: str(s.project_dir)),
    ("quiet", "parse", "true", True, lambda s: s.flags.quiet),
    ("resource_type", "ls", "model seed", ("model", "seed"), _setting("resource_type")),
    ("sample", "compile", "3 days", "3 days", _setting("sample")),  # read by run and build, which refuse it
    ("send_anonymous_usage_stats", "parse", "false", False, _setting("send_anonymous_usage_stats")),
    ("show_resource_report", "parse", "true", True, _setting("show_resource_report")),
    ("single_threaded", "parse", "true", True, _setting("single_threaded")),
    ("sqlparse", "build", "{}", "{}", _setting("sqlparse")),
    ("state", "ls", "prod-artifacts", "prod-artifacts", _setting("state")),
    ("static_parser", "parse", "false", False, _setting("static_parser")),
    ("store_failures", "build", "true", True, lambda s: s.flags.store_failures),
    ("target", "parse", "prod", "prod", lambda s: s.target),
    ("target_path", "parse", "elsewhere/target", "elsewhere/target", lambda s: s.target_path),
    ("upload_to_artifacts_ingest_api", "parse", "true", True, _setting("upload_to_artifacts_ingest_api")),
    ("use_colors", "parse", "false", False, lambda s: s.flags.use_colors),
    ("use_colors_file", "parse", "false", False, lambda s: s.flags.use_colors_file),
    ("use_experimental_parser", "parse", "true", True, _setting("use_experimental_parser")),
    ("use_fast_test_edges", "parse", "true", True, _setting("use_fast_test_edges")),
    ("version_check", "parse", "false", False, lambda s: not s.flags.no_version_check),
    ("warn_error", "parse", "true", True, lambda s: s.flags.warn_error),
    ("warn_error_options", "parse", '{"error": "all", "warn": ["NoNodesForSelectionCriteria"]}',
     {"error": "all", "warn": ["NoNodesForSelectionCriteria"]}, lambda s: dict(s.flags.warn_error_options)),
    ("write_json", "parse", "false", False, lambda s: s.flags.write_json),
]

# dbt's `flags:` keys in dbt_project.yml (dbt-core 1.11 ProjectFlags, its behaviour flags aside)
DBT_PROJECT_FLAGS = {
    "cache_selected_only", "debug", "fail_fast", "indirect_selection", "log_format", "log_format_file", "log_level",
    "log_level_file", "partial_parse", "populate_cache", "printer_width", "send_anonymous_usage_stats",
    "static_parser", "use_colors", "use_colors_file", "use_experimental_parser", "version_check", "warn_error",
    "warn_error_options", "write_json",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder to resolve flags in, with no DBT_ / MASON_ variable of the outer environment around."""
    for key in list(os.environ):
        if key.startswith(("DBT_", "MASON_")) or key == "DO_NOT_TRACK":
            monkeypatch.delenv(key)
    (tmp_path / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _session(project: Path, args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Session the CLI would run `args` with (the command body is not run)."""
    seen: dict[str, Any] = {}

    def capture(which: str, opts: dict[str, Any], body: Any, **_: Any) -> None:
        seen["session"] = cli_main.make_session(which, opts)

    monkeypatch.setattr(cli_main, "_invoke", capture)
    result = CliRunner().invoke(cli_main.cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return seen["session"]


def test_the_table_is_dbt_core_1_11s_list() -> None:
    assert {row[0] for row in TABLE} == set(ENV_NAMES) - {"host"}
    assert PROJECT_FLAGS == DBT_PROJECT_FLAGS


@pytest.mark.parametrize("spelling", ["DBT_{}", "DBT_ENGINE_{}", "MASON_{}"])
@pytest.mark.parametrize(("option", "command", "raw", "expected", "get"), TABLE, ids=[row[0] for row in TABLE])
def test_each_flag_is_read_from_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch, spelling: str,
                                                option: str, command: str, raw: str, expected: Any,
                                                get: Get) -> None:
    raw = raw.replace("{tmp}", str(project))
    expected = expected.replace("{tmp}", str(project)) if isinstance(expected, str) else expected
    var = spelling.format(ENV_NAMES[option])
    assert var in envvars(option)
    session = _session(project, [command], {var: raw}, monkeypatch)
    assert get(session) == expected


def test_mason_spelling_wins_over_dbt_engine_over_dbt(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"DBT_PRINTER_WIDTH": "90", "DBT_ENGINE_PRINTER_WIDTH": "100"}
    assert _session(project, ["parse"], env, monkeypatch).flags.printer_width == 100
    env["MASON_PRINTER_WIDTH"] = "110"
    assert _session(project, ["parse"], env, monkeypatch).flags.printer_width == 110


def test_deprecated_names_are_still_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"DBT_ARTIFACT_STATE_PATH": "old-state", "DBT_DEFER_TO_STATE": "true", "DBT_FAVOR_STATE_MODE": "true",
           "DBT_NO_PRINT": "true"}
    session = _session(project, ["build"], env, monkeypatch)
    settings = session.flags.settings
    assert (settings["state"], settings["defer"], settings["favor_state"]) == ("old-state", True, True)
    assert session.flags.print_output is False
    env["DBT_STATE"] = "new-state"
    assert _session(project, ["build"], env, monkeypatch).flags.settings["state"] == "new-state"


def test_command_line_over_environment_over_project_flags_over_default(project: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert _session(project, ["parse"], {}, monkeypatch).flags.printer_width == 80  # default
    (project / "dbt_project.yml").write_text(
        "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n"
        "flags:\n  printer_width: 100\n  fail_fast: true\n  log_format: json\n"
        "  warn_error_options: {error: all}\n  send_anonymous_usage_stats: false\n")
    session = _session(project, ["build"], {}, monkeypatch)
    assert (session.flags.printer_width, session.flags.fail_fast, session.flags.log_format) == (100, True, "json")
    assert dict(session.flags.warn_error_options) == {"error": "all"}
    assert session.flags.settings["send_anonymous_usage_stats"] is False
    env = {"DBT_PRINTER_WIDTH": "120", "DBT_FAIL_FAST": "false", "DBT_LOG_FORMAT": "text"}
    session = _session(project, ["build"], env, monkeypatch)
    assert (session.flags.printer_width, session.flags.fail_fast, session.flags.log_format) == (120, False, "text")
    session = _session(project, ["build", "--printer-width", "130", "-x", "--log-format", "json"], env, monkeypatch)
    assert (session.flags.printer_width, session.flags.fail_fast, session.flags.log_format) == (130, True, "json")


def test_only_dbts_project_flags_come_from_dbt_project_yml(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "dbt_project.yml").write_text(
        "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\nflags:\n  empty: true\n  full_refresh: true\n")
    session = _session(project, ["build"], {}, monkeypatch)
    assert (session.flags.empty, session.flags.full_refresh) == (False, False)


def test_the_console_setting_leads_the_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As dbt: --log-format / --log-level / --use-colors set explicitly apply to logs/dbt.log too, unless its own
    flag is set."""
    session = _session(project, ["parse"], {}, monkeypatch)
    assert (session.flags.log_format_file, session.flags.log_level_file) == ("debug", "debug")
    session = _session(project, ["parse"], {"DBT_LOG_FORMAT": "json", "DBT_LOG_LEVEL": "warn",
                                            "DBT_USE_COLORS": "false"}, monkeypatch)
    assert (session.flags.log_format_file, session.flags.log_level_file) == ("json", "warn")
    assert session.flags.use_colors_file is False
    session = _session(project, ["parse"], {"DBT_LOG_FORMAT": "json", "DBT_LOG_FORMAT_FILE": "text"}, monkeypatch)
    assert (session.flags.log_format, session.flags.log_format_file) == ("json", "text")


def test_do_not_track(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = _session(project, ["parse"], {"DO_NOT_TRACK": "1"}, monkeypatch)
    assert session.flags.settings["send_anonymous_usage_stats"] is False


def test_a_bad_boolean_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(cli_main.cli, ["build"], env={"DBT_FULL_REFRESH": "sometimes"})
    assert result.exit_code == 2 and "not a valid boolean" in result.output


def test_sample_is_refused_by_run_and_build(project: Path) -> None:
    for command in ("run", "build"):
        result = CliRunner().invoke(cli_main.cli, [command], env={"DBT_SAMPLE": "3 days"})
        assert result.exit_code == 2 and "--sample" in result.output


def test_flags_reach_jinja(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mason.jinja.flags import JinjaFlags

    session = _session(project, ["parse"], {"DBT_LOG_FORMAT": "json", "DBT_STATIC_PARSER": "false"}, monkeypatch)
    flags = JinjaFlags(session)
    assert (flags.LOG_FORMAT, flags.STATIC_PARSER, flags.NO_SUCH_FLAG) == ("json", False, None)
