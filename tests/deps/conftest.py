"""Real fixtures for `mason deps`: project folders, git repositories made with the `git` command, and a
package hub served over HTTP from a temporary folder by a local stdlib server."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from mason.deps.command import DepsOptions, run_deps

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="the git command is not installed")


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_package(root: Path, name: str, packages: list[dict[str, Any]] | None = None,
                 files: dict[str, str] | None = None, version: str = "1.0.0") -> Path:
    """A dbt project folder named `name`, optionally declaring `packages`."""
    root.mkdir(parents=True, exist_ok=True)
    all_files = {"dbt_project.yml": f"name: {name}\nversion: '{version}'\nconfig-version: 2\n", **(files or {})}
    if packages is not None:
        all_files["packages.yml"] = yaml.safe_dump({"packages": packages}, sort_keys=False)
    return write_files(root, all_files)


def make_root(root: Path, packages_yml: str | None = None, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(f"name: root_project\nversion: '1.0'\nprofile: p\n{extra}")
    if packages_yml is not None:
        (root / "packages.yml").write_text(packages_yml)
    return root


# ------------------------------------------------------------------------------------------------ git

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], cwd=repo,
                          env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "-b", "main")
    return git_commit(path, files, "initial")


def git_commit(repo: Path, files: dict[str, str], message: str = "change") -> Path:
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)
    return repo


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


# ------------------------------------------------------------------------------------------------ hub


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class LocalHub:
    """A package hub in a folder: api/v1/index.json, api/v1/<owner>/<name>.json and tarballs."""

    root: Path
    url: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def publish(self, package: str, version: str, deps: list[dict[str, Any]] | None = None,
                files: dict[str, str] | None = None, project_name: str | None = None,
                require_dbt_version: Any = None, corrupt_sha1: bool = False) -> str:
        owner, name = package.split("/")
        project_name = project_name or name
        contents = {"dbt_project.yml": f"name: {project_name}\nversion: '{version}'\nconfig-version: 2\n",
                    **(files or {})}
        if deps:
            contents["packages.yml"] = yaml.safe_dump({"packages": deps}, sort_keys=False)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for rel, text in contents.items():
                data = text.encode()
                info = tarfile.TarInfo(f"{owner}-{name}-{version}/{rel}")  # one top folder, as GitHub makes
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        blob = buffer.getvalue()
        tar_name = f"{owner}-{name}-{version}.tar.gz"
        (self.root / "tarballs").mkdir(exist_ok=True)
        (self.root / "tarballs" / tar_name).write_bytes(blob)
        record = self.records.setdefault(package, {"name": name, "namespace": owner, "versions": {}})
        sha1 = hashlib.sha1(b"not this" if corrupt_sha1 else blob).hexdigest()
        record["versions"][version] = {
            "id": f"{package}/{version}", "name": project_name, "version": version, "packages": deps or [],
            "require_dbt_version": require_dbt_version,
            "downloads": {"tarball": f"{self.url}tarballs/{tar_name}", "format": "tgz", "sha1": sha1},
        }
        record["latest"] = version
        self._write()
        return f"{self.url}tarballs/{tar_name}"

    def _write(self) -> None:
        api = self.root / "api" / "v1"
        api.mkdir(parents=True, exist_ok=True)
        (api / "index.json").write_text(json.dumps(sorted(self.records)))
        for package, record in self.records.items():
            owner, name = package.split("/")
            (api / owner).mkdir(exist_ok=True)
            (api / owner / f"{name}.json").write_text(json.dumps(record))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[LocalHub]:
    folder = tmp_path / "hub"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalHub(folder, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------------ run


@dataclass
class Outcome:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def deps(root: Path, hub: LocalHub | None = None, env: dict[str, str] | None = None,
         cli_vars: dict[str, Any] | None = None, **options: Any) -> Outcome:
    """Run `mason deps` in-process (the CLI's body) and collect what it prints."""
    full_env = {"PATH": os.environ.get("PATH", ""), **(env or {})}
    if hub is not None:
        options.setdefault("hub_url", hub.url)
    lines: list[str] = []
    code = run_deps(root, cli_vars or {}, full_env, DepsOptions(**options), lines.append)
    return Outcome(code, lines)


def lock_of(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "package-lock.yml").read_text())


def installed(root: Path, install: str = "dbt_packages") -> dict[str, Path]:
    folder = root / install
    return {child.name: child for child in sorted(folder.iterdir())} if folder.is_dir() else {}
