"""secret('name') in profiles.yml: env, file and command providers, their order, defaults and errors, and the
promise that no value they return reaches target/, logs/, the console or the JSON log."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .conftest import Result, run_mason

ENV_SECRET = "env-S3CRET-4711"
FILE_SECRET = "file-S3CRET-0815"
CMD_PREFIX = "cmd-S3CRET-"
CMD_SECRET = CMD_PREFIX + "cmd_token"  # what the command prints for secret('cmd_token')
PASSWORD = "pw-S3CRET-2024"
SECRETS = (ENV_SECRET, FILE_SECRET, CMD_SECRET, PASSWORD)

# the command provider: prints CMD_PREFIX + the name it is asked for, and counts its runs in calls.txt
COMMAND = ("import sys, pathlib; p = pathlib.Path(sys.argv[2]); "
           "p.write_text(p.read_text() + sys.argv[1] + chr(10) if p.exists() else sys.argv[1] + chr(10)); "
           f"print('{CMD_PREFIX}' + sys.argv[1])")


def providers(root: Path) -> str:
    command = json.dumps([sys.executable, "-c", COMMAND, "{name}", str(root / "calls.txt")])
    return f"""secrets:
  providers:
    - {{type: env, prefix: MYAPP_}}
    - {{type: file, path: {root / 'run_secrets'}}}
    - type: command
      command: {command}
      timeout: 20
"""


def make_project(root: Path, outputs_extra: str, models: dict[str, str], top: str | None = None,
                 profile_extra: str = "") -> Path:
    (root / "models").mkdir(parents=True)
    (root / "run_secrets").mkdir()
    (root / "run_secrets" / "file_token").write_text(FILE_SECRET + "\n")
    (root / "run_secrets" / "db_password").write_text(PASSWORD + "\n")
    (root / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    (root / "profiles.yml").write_text(
        (providers(root) if top is None else top)
        + f"p:\n  target: dev\n{profile_extra}  outputs:\n    dev:\n      type: duckdb\n"
        + f"      path: \"{root / 'p.duckdb'}\"\n      schema: main\n      threads: 2\n" + outputs_extra)
    for name, text in models.items():
        (root / "models" / name).write_text(text)
    return root


def table(root: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(root / "p.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


SECRET_FIELDS = """      password: "{{ secret('db_password') }}"
      api_key: "{{ secret('api_key') }}"
      file_token: "{{ secret('file_token') }}"
      cmd_token: "{{ secret('cmd_token') }}"
      cmd_again: "{{ secret('cmd_token') }}"
    broken:
      type: duckdb
      path: ":memory:"
      settings:
        threads: "{{ secret('cmd_token') }}"
"""

ECHO_MODEL = """{{ config(materialized='table') }}
{{ log('api_key=' ~ target.api_key ~ ' file_token=' ~ target.file_token ~ ' cmd_token=' ~ target.cmd_token,
       info=True) }}
{% do print('printed ' ~ target.cmd_token) %}
-- {{ target.api_key }} {{ target.file_token }} {{ target.cmd_token }}
select '{{ target.api_key }}' as api_key, '{{ target.file_token }}' as file_token,
       '{{ target.cmd_token }}' as cmd_token
"""

BAD_MODEL = """select "{{ target.api_key }}" from (select 1 as one)"""  # the error message names the column


def assert_nowhere(root: Path, outputs: list[Result]) -> None:
    """No secret in any file under target/ or logs/ (binary ones too), nor in anything printed."""
    files = [p for folder in ("target", "logs") for p in (root / folder).rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files) and any(p.name == "dbt.log" for p in files)
    for secret in SECRETS:
        for path in files:
            assert secret.encode() not in path.read_bytes(), (secret, path)
        for res in outputs:
            assert secret not in res.stdout + res.stderr, (secret, res.stdout[-3000:], res.stderr[-3000:])


def test_secrets_from_each_provider_are_used_and_never_shown(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", SECRET_FIELDS, {"echo.sql": ECHO_MODEL, "bad.sql": BAD_MODEL})
    env = {"MYAPP_API_KEY": ENV_SECRET}
    outputs = []

    debug = run_mason(root, "debug", env=env)
    outputs.append(debug)
    assert debug.code == 0 and "All checks passed" in debug.stdout, debug.stdout[-2000:]
    broken = run_mason(root, "debug", "-t", "broken", env=env)  # DuckDB's error quotes the setting's value
    outputs.append(broken)
    assert broken.code == 1 and "[ERROR]" in broken.stdout and "*****" in broken.stdout, broken.stdout[-2000:]
    failed = run_mason(root, "run", "-t", "broken", env=env)  # the same error, as the CLI prints it
    outputs.append(failed)
    assert failed.code == 1 and "could not set up the DuckDB connection" in failed.stderr
    assert "*****" in failed.stderr, failed.stderr

    build = run_mason(root, "build", "--debug", env=env)
    outputs.append(build)
    assert build.code == 1, build.stdout[-3000:] + build.stderr[-3000:]  # bad.sql fails, naming the secret
    assert "api_key=***** file_token=***** cmd_token=*****" in build.stdout
    assert "printed *****" in build.stdout
    assert 'column "*****" not found' in build.stdout, build.stdout[-3000:]
    # the real values reached the warehouse
    assert table(root, "select api_key, file_token, cmd_token from main.echo") == [
        (ENV_SECRET, FILE_SECRET, CMD_SECRET)]
    compiled = (root / "target" / "compiled" / "p" / "models" / "echo.sql").read_text()
    assert "select '*****' as api_key, '*****' as file_token" in compiled

    run = run_mason(root, "run", "--log-format", "json", "--vars", json.dumps({"note": ENV_SECRET}), env=env)
    outputs.append(run)
    assert run.code == 1, run.stdout[-3000:] + run.stderr[-3000:]
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert any(e["info"]["msg"] == "api_key=***** file_token=***** cmd_token=*****" for e in events)
    run_results = json.loads((root / "target" / "run_results.json").read_text())
    assert run_results["args"]["vars"] == {"note": "*****"}
    bad = next(r for r in run_results["results"] if r["unique_id"] == "model.p.bad")
    assert '"*****"' in bad["message"]
    # one line per run: the --debug build's text, the json run's event (the file follows --log-format, as dbt's)
    log_lines = (root / "logs" / "dbt.log").read_text().splitlines()
    assert sum("api_key=***** file_token=***** cmd_token=*****" in line for line in log_lines) == 2

    compile_ = run_mason(root, "compile", "-s", "echo", env=env)
    outputs.append(compile_)
    assert compile_.code == 0 and "-- ***** ***** *****" in compile_.stdout
    show = run_mason(root, "show", "-s", "echo", env=env)
    outputs.append(show)
    assert show.code == 0 and "*****" in show.stdout

    assert_nowhere(root, outputs)
    # the command ran once per name per invocation (cmd_token is read by two fields): debug, debug -t broken,
    # run -t broken, build, run, compile and show each asked once
    assert (root / "calls.txt").read_text().splitlines() == ["cmd_token"] * 7


def test_missing_secret_names_the_secret_the_providers_and_the_line(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('nowhere') }}\"\n", {"m.sql": "select 1 as x"},
                        top=providers(tmp_path / "p").split("    - type: command")[0])
    res = run_mason(root, "parse")
    assert res.code == 1
    err = res.stderr
    assert f"{root / 'profiles.yml'}:13: secret 'nowhere' not found" in err, err
    assert "$MYAPP_nowhere or $MYAPP_NOWHERE" in err and str(root / "run_secrets" / "nowhere") in err
    assert "default=" in err and "Traceback" not in err


def test_no_providers_declared_is_a_clear_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('api_key') }}\"\n", {"m.sql": "select 1 as x"},
                        top="")
    res = run_mason(root, "parse")
    assert res.code == 1 and "declares no secret providers" in res.stderr and "profiles.yml:9" in res.stderr


def test_default_is_used_when_no_provider_has_the_secret(tmp_path: Path) -> None:
    top = "secrets:\n  providers:\n    - {type: env, prefix: MYAPP_}\n"
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('absent', default='fallback-value') }}\"\n",
                        {"m.sql": "{{ config(materialized='table') }}\nselect '{{ target.api_key }}' as k"}, top=top)
    res = run_mason(root, "run")
    assert res.code == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert table(root, "select k from main.m") == [("fallback-value",)]
    # a default is written in profiles.yml, so it is not a secret: not masked
    assert "fallback-value" in (root / "target" / "compiled" / "p" / "models" / "m.sql").read_text()


def test_failing_command_is_an_error_that_never_prints_its_output(tmp_path: Path) -> None:
    top = ("secrets:\n  providers:\n    - type: command\n"
           "      command: \"sh -c 'echo stdout-S3CRET-9; echo vault: permission denied >&2; exit 3'\"\n")
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('api_key') }}\"\n", {"m.sql": "select 1"}, top=top)
    res = run_mason(root, "parse")
    assert res.code == 1
    assert f"{root / 'profiles.yml'}:3: secret 'api_key': sh exited with code 3" in res.stderr, res.stderr
    assert "vault: permission denied" in res.stderr  # stderr helps; stdout would be the secret
    assert "stdout-S3CRET-9" not in res.stdout + res.stderr


def test_command_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    command = json.dumps([sys.executable, "-c", "import time; time.sleep(60)"])
    top = f"secrets:\n  providers:\n    - {{type: command, command: {command}, timeout: 0.5}}\n"
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('api_key') }}\"\n", {"m.sql": "select 1"}, top=top)
    start = time.monotonic()
    res = run_mason(root, "parse")
    assert time.monotonic() - start < 30
    assert res.code == 1 and "did not finish within 0.5s" in res.stderr and "profiles.yml:3" in res.stderr


def test_providers_are_tried_in_order_a_profiles_own_first(tmp_path: Path) -> None:
    model = {"m.sql": "{{ config(materialized='table') }}\nselect '{{ target.api_key }}' as k"}
    fields = "      api_key: \"{{ secret('file_token') }}\"\n"
    env = {"MYAPP_FILE_TOKEN": ENV_SECRET}
    root = make_project(tmp_path / "a", fields, model)  # env before file
    assert run_mason(root, "run", env=env).code == 0
    assert table(root, "select k from main.m") == [(ENV_SECRET,)]
    assert not (root / "calls.txt").exists()  # a provider after the first hit is not asked
    # the profile's own providers come before the top-level ones
    own = f"  secrets:\n    providers:\n      - {{type: file, path: {tmp_path / 'b' / 'run_secrets'}}}\n"
    root = make_project(tmp_path / "b", fields, model, profile_extra=own)
    assert run_mason(root, "run", env=env).code == 0
    assert table(root, "select k from main.m") == [(FILE_SECRET,)]
    # no provider has it but the command, which is then run
    root = make_project(tmp_path / "c", fields, model)
    (root / "run_secrets" / "file_token").unlink()
    assert run_mason(root, "run").code == 0
    assert table(root, "select k from main.m") == [(CMD_PREFIX + "file_token",)]


def test_secret_outside_profiles_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "", {"m.sql": "select 1 as x\n-- {{ secret('api_key') }}\n"})
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "models/m.sql:2: secret('api_key') can only be used in profiles.yml or packages.yml" in res.stderr
    (root / "models" / "m.sql").write_text("select 1 as x")
    (root / "dbt_project.yml").write_text((root / "dbt_project.yml").read_text()
                                          + "models:\n  +meta:\n    k: \"{{ secret('api_key') }}\"\n")
    res = run_mason(root, "parse")
    assert res.code == 1 and "dbt_project.yml: secret('api_key') can only be used in profiles.yml" in res.stderr
    # a project's own macro called `secret` is not shadowed
    (root / "dbt_project.yml").write_text("name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n")
    (root / "macros").mkdir()
    (root / "macros" / "s.sql").write_text("{% macro secret(n) %}'mine-{{ n }}'{% endmacro %}")
    (root / "models" / "m.sql").write_text("select {{ secret('x') }} as x")
    res = run_mason(root, "compile", "-s", "m")
    assert res.code == 0 and "select 'mine-x' as x" in res.stdout, res.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_secret_in_a_packages_yml_git_url(tmp_path: Path) -> None:
    repo = tmp_path / "pkg_repo_S3CRET"
    repo.mkdir()
    (repo / "dbt_project.yml").write_text("name: git_pkg\nversion: '1.0'\nconfig-version: 2\n")
    for args in (["init", "-q", "-b", "main"], ["add", "."],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    root = make_project(tmp_path / "p", "", {"m.sql": "select 1 as x"},
                        top="secrets:\n  providers:\n    - {type: env, prefix: MYAPP_}\n")
    (root / "packages.yml").write_text("packages:\n  - git: \"file://{{ secret('repo') }}\"\n    revision: main\n")
    res = run_mason(root, "deps", env={"MYAPP_REPO": str(repo)})
    assert res.code == 0, res.stdout + res.stderr
    assert (root / "dbt_packages" / "git_pkg" / "dbt_project.yml").is_file()
    assert str(repo) not in res.stdout + res.stderr + (root / "package-lock.yml").read_text()
    assert "{{ secret('repo') }}" in (root / "package-lock.yml").read_text()
    res = run_mason(root, "deps")  # no such env var: the error points at packages.yml
    assert res.code == 1 and "packages.yml:2: secret 'repo' not found" in res.stderr, res.stderr


def test_a_wrong_provider_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    top = "secrets:\n  providers:\n    - {type: env}\n    - {type: comand, command: vault}\n"
    root = make_project(tmp_path / "p", "      api_key: \"{{ secret('api_key') }}\"\n", {"m.sql": "select 1"}, top=top)
    res = run_mason(root, "parse")
    assert res.code == 1 and "profiles.yml:4: secrets provider 2 of the top-level `secrets:` has type: comand" \
        in res.stderr and "command" in res.stderr.split("hint:")[1], res.stderr
    (root / "profiles.yml").write_text((root / "profiles.yml").read_text().replace(
        "{type: comand, command: vault}", "{type: file, folder: /run/secrets}"))
    res = run_mason(root, "parse")
    assert res.code == 1 and "profiles.yml:4: secrets provider 2 (file) has unknown keys: folder" in res.stderr
    # a profile that is never asked for a secret is not bothered by the block
    (root / "profiles.yml").write_text((root / "profiles.yml").read_text().replace(
        "api_key: \"{{ secret('api_key') }}\"", "api_key: plain"))
    assert run_mason(root, "parse").code == 0
