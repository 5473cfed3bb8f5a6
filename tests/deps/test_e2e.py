"""End to end through the real CLI: `mason deps` installs a local package, `mason build` builds its model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from .conftest import LocalHub, make_package, write_files

PROFILE = """p:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{db}"
      schema: main
      threads: 2
"""


def mason(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "MASON_"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "mason", *args], cwd=project, env=full_env,
                          capture_output=True, text=True, timeout=600)


def test_deps_then_build_uses_the_package(tmp_path: Path) -> None:
    make_package(tmp_path / "libs" / "greeter", "greeter", files={
        "macros/greeting.sql": "{% macro greeting(who) %}'hello ' || {{ who }}{% endmacro %}",
        "models/greetings.sql": "select {{ greeter.greeting(\"'world'\") }} as message, 1 as id",
    })
    root = write_files(tmp_path / "app", {
        "dbt_project.yml": "name: app\nversion: '1.0'\nconfig-version: 2\nprofile: p\n"
                           "clean-targets: [target, dbt_packages]\n",
        "profiles.yml": PROFILE.format(db=tmp_path / "app.duckdb"),
        "packages.yml": "packages:\n  - local: ../libs/greeter\n",
        "models/shout.sql": "select upper(message) as message, {{ greeter.greeting(\"'app'\") }} as own\n"
                            "from {{ ref('greeter', 'greetings') }}",
    })

    installed = mason(root, "deps")
    assert installed.returncode == 0, installed.stderr
    assert "Installing ../libs/greeter" in installed.stdout
    assert (root / "dbt_packages" / "greeter" / "models" / "greetings.sql").is_file()
    assert (root / "package-lock.yml").is_file()

    built = mason(root, "build", "--profiles-dir", str(root))
    assert built.returncode == 0, built.stdout + built.stderr
    with duckdb.connect(str(tmp_path / "app.duckdb"), read_only=True) as con:
        assert con.execute("select message, id from main.greetings").fetchall() == [("hello world", 1)]
        assert con.execute("select message, own from main.shout").fetchall() == [("HELLO WORLD", "hello app")]

    cleaned = mason(root, "clean", "--profiles-dir", str(root))
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (root / "dbt_packages").exists()
    assert (tmp_path / "libs" / "greeter" / "models" / "greetings.sql").is_file(), "clean must not follow links"


def test_cli_errors_are_one_message_with_file_and_line(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    root = write_files(tmp_path / "app", {
        "dbt_project.yml": "name: app\nversion: '1.0'\nprofile: p\n",
        "packages.yml": "packages:\n  - package: acme/core\n    version: 1.0.0\n  - package: acme/cor\n"
                        "    version: 1.0.0\n",
    })
    failed = mason(root, "deps", "--hub-url", hub.url)
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: packages.yml:4: package acme/cor was not found in the package hub")
    assert "did you mean 'acme/core'?" in failed.stderr and "Traceback" not in failed.stderr

    (root / "packages.yml").write_text("packages:\n  - package: acme/core\n    version: 1.0.0\n")
    ok = mason(root, "deps", env={"MASON_HUB_URL": hub.url})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[1:4] == ["Installing acme/core", "Installed from version 1.0.0", "Up to date!"]
    added = mason(root, "deps", "--add-package", "acme/core@1.0.0", "--lock", "--hub-url", hub.url)
    assert added.returncode == 0, added.stderr
    assert "Added new package acme/core@1.0.0" in added.stdout
