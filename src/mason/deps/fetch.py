"""Getting package contents: the `git` command, the package hub's JSON API and tarball downloads."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mason.deps.spec import DepsError
from mason.errors import Span

DEFAULT_HUB_URL = "https://hub.getdbt.com/"
HUB_URL_ENV = ("MASON_HUB_URL", "DBT_PACKAGE_HUB_URL")
_HTTP_TIMEOUT = 30.0
_HTTP_TRIES = 3
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")


def hub_url(flag: str | None, env: Mapping[str, str]) -> str:
    url = flag or next((env[k] for k in HUB_URL_ENV if env.get(k)), DEFAULT_HUB_URL)
    return url if url.endswith("/") else url + "/"


# --------------------------------------------------------------------------------------------- http


class NotFound(DepsError):
    pass


def http_get(url: str, span: Span | None, what: str) -> bytes:
    """GET a URL with a few retries on network trouble and 5xx; one clear error otherwise."""
    last = ""
    for attempt in range(_HTTP_TRIES):
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "mason-deps"})
            with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFound(f"{what}: {url} was not found (HTTP 404)", span) from exc
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            last = str(reason)
        if attempt + 1 < _HTTP_TRIES:
            time.sleep(0.2 * (attempt + 1))
    raise DepsError(f"{what}: could not download {url}: {last}", span,
                    "check your network connection (and any proxy settings), then run mason deps again; "
                    "a different package hub can be set with --hub-url or MASON_HUB_URL")


class Hub:
    """The package hub's API: `api/v1/index.json` lists owner/name; `api/v1/{owner}/{name}.json` the versions."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._index: list[str] | None = None
        self._packages: dict[str, dict[str, Any]] = {}

    def _json(self, path: str, span: Span | None, what: str) -> Any:
        url = urllib.parse.urljoin(self.base_url, path)
        data = http_get(url, span, what)
        try:
            return json.loads(data)
        except ValueError as exc:
            raise DepsError(f"{what}: {url} did not return JSON", span,
                            "check that --hub-url / MASON_HUB_URL points at a package hub") from exc

    def index(self, span: Span | None) -> list[str]:
        if self._index is None:
            data = self._json("api/v1/index.json", span, "package hub index")
            self._index = [str(x) for x in data] if isinstance(data, list) else []
        return self._index

    def package(self, name: str, span: Span | None) -> dict[str, Any]:
        """The hub's record of owner/name, with `versions`; an unknown name gets a did-you-mean."""
        key = name.lower()
        if key in self._packages:
            return self._packages[key]
        index = self.index(span)
        by_lower = {entry.lower(): entry for entry in index}
        if key not in by_lower:
            raise DepsError(f"package {name} was not found in the package hub index", span,
                            _hub_hint(name, index, self.base_url))
        owner, short = by_lower[key].split("/", 1)
        try:
            data = self._json(f"api/v1/{owner}/{short}.json", span, f"hub package {name}")
        except NotFound as exc:
            raise DepsError(f"package {name} is listed in the hub index but its metadata is missing", span,
                            "try again later, or install it with a `git:` entry") from exc
        if not isinstance(data, dict) or not isinstance(data.get("versions"), dict):
            raise DepsError(f"the package hub returned no versions for {name}", span)
        self._packages[key] = data
        return data


def _hub_hint(name: str, index: list[str], base_url: str) -> str:
    from mason.errors import did_you_mean

    short = name.split("/")[-1].lower()
    same_name = [entry for entry in index if entry.split("/")[-1].lower() == short]
    guess = did_you_mean(name, index) if not same_name else (
        "did you mean " + " or ".join(repr(e) for e in same_name) + "?")
    if guess:
        return guess
    return f"check the owner/name on the package hub ({base_url}); packages not on the hub install with `git:`"


# ---------------------------------------------------------------------------------------------- tar


def download_tarball(url: str, dest: Path, span: Span | None, what: str, sha1: str | None = None) -> Path:
    """Download and unpack a .tar.gz into `dest`; returns the folder holding dbt_project.yml."""
    if url.startswith("file://"):
        try:
            data = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path)).read_bytes()
        except OSError as exc:
            raise DepsError(f"{what}: cannot read {url}: {exc.strerror}", span) from exc
    else:
        data = http_get(url, span, what)
    if sha1 and hashlib.sha1(data).hexdigest() != sha1.lower():
        raise DepsError(f"{what}: the download from {url} does not match its published sha1", span,
                        "the file may be corrupt or tampered with; run mason deps again")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            _safe_extract(archive, dest, url)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DepsError(f"{what}: {url} is not a readable .tar.gz archive ({exc})", span) from exc
    return project_root_in(dest, span, what)


def _safe_extract(archive: tarfile.TarFile, dest: Path, url: str) -> None:
    root = dest.resolve()
    for member in archive.getmembers():
        target = (root / member.name).resolve()
        if target != root and root not in target.parents:
            raise tarfile.TarError(f"entry {member.name!r} would be written outside the package folder")
        if member.issym() or member.islnk():
            link = (target.parent / member.linkname).resolve()
            if root not in link.parents and link != root:
                raise tarfile.TarError(f"link {member.name!r} points outside the package folder")
    try:
        archive.extractall(root, filter="data")
    except TypeError:  # pragma: no cover - Python without extraction filters
        archive.extractall(root)


def project_root_in(folder: Path, span: Span | None, what: str) -> Path:
    """The folder itself, or its single sub-folder, that holds dbt_project.yml."""
    if (folder / "dbt_project.yml").is_file():
        return folder
    children = [c for c in folder.iterdir() if c.is_dir()]
    if len(children) == 1 and (children[0] / "dbt_project.yml").is_file():
        return children[0]
    raise DepsError(f"{what} has no dbt_project.yml at its top level", span,
                    "a package must be a dbt project: check the URL, or the `subdirectory:` of a git package")


# ---------------------------------------------------------------------------------------------- git


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="echo", LC_ALL="C")
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
    except FileNotFoundError as exc:
        raise DepsError("the `git` command was not found", None,
                        "install git and make sure it is on PATH; git packages are fetched with it") from exc
    except subprocess.TimeoutExpired as exc:
        raise DepsError(f"`git {' '.join(args[:2])}` took longer than 10 minutes", None,
                        "check your network connection, then run mason deps again") from exc


def _git_message(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Cloning into", "hint:"))]
    return "\n    ".join(keep or lines or [f"git exited with code {proc.returncode}"])


def git_checkout(url: str, revision: str | None, dest: Path, span: Span | None, display: str) -> str:
    """Fetch `revision` (branch, tag or commit; None: the default branch) of `url` into `dest`, shallow where
    the server allows it. Returns the commit sha."""
    attempts: list[subprocess.CompletedProcess[str]] = []
    if revision is None:
        proc = _git(["clone", "--quiet", "--depth", "1", url, str(dest)])
        attempts.append(proc)
    elif len(revision) == 40 and _SHA.match(revision):
        proc = _fetch_commit(url, revision, dest)
        attempts.append(proc)
    else:
        proc = _git(["clone", "--quiet", "--depth", "1", "--branch", revision, url, str(dest)])
        attempts.append(proc)
        if proc.returncode != 0 and _SHA.match(revision):
            shutil.rmtree(dest, ignore_errors=True)
            proc = _fetch_commit(url, revision, dest)
            attempts.append(proc)
    if proc.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        first = attempts[0]
        what = f"revision {revision!r}" if revision else "the default branch"
        raise DepsError(
            f"could not fetch {what} of git package {display}:\n    {_git_message(first)}", span,
            "check the URL and that the branch, tag or commit exists (and that you have access)")
    sha = _git(["rev-parse", "HEAD"], cwd=dest)
    if sha.returncode != 0:
        raise DepsError(f"git package {display}: cannot read the checked-out commit: {_git_message(sha)}", span)
    return sha.stdout.strip()


def _fetch_commit(url: str, sha: str, dest: Path) -> subprocess.CompletedProcess[str]:
    dest.mkdir(parents=True, exist_ok=True)
    for args in (["init", "--quiet"], ["remote", "add", "origin", url]):
        proc = _git(args, cwd=dest)
        if proc.returncode != 0:
            return proc
    proc = _git(["fetch", "--quiet", "--depth", "1", "origin", sha], cwd=dest)
    if proc.returncode != 0:  # the server refuses single-commit fetches: fetch everything
        proc = _git(["fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*"], cwd=dest)
        if proc.returncode != 0:
            return proc
        return _git(["checkout", "--quiet", "--detach", sha], cwd=dest)
    return _git(["checkout", "--quiet", "--detach", "FETCH_HEAD"], cwd=dest)


def git_display(url: str, subdirectory: str | None) -> str:
    return f"{url}/{subdirectory}" if subdirectory else url


def strip_git_metadata(folder: Path) -> None:
    shutil.rmtree(folder / ".git", ignore_errors=True)
