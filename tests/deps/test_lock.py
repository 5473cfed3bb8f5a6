"""package-lock.yml: written after resolving, reused while the spec is unchanged, refreshed by --upgrade;
--lock and --add-package."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mason.deps.spec import DepsError

from .conftest import (
    LocalHub,
    deps,
    git_commit,
    git_repo,
    head,
    installed,
    lock_of,
    make_package,
    make_root,
    needs_git,
)


def _version_of(root: Path, name: str) -> str:
    return (installed(root)[name] / "macros" / "v.sql").read_text()


def _publish(hub: LocalHub, version: str) -> None:
    hub.publish("acme/core", version, files={"macros/v.sql": version})


def test_lock_is_reused_until_upgrade(tmp_path: Path, hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    root = make_root(tmp_path / "root", 'packages:\n  - package: acme/core\n    version: [">=1.0.0"]\n')
    first = deps(root, hub)
    assert first.lines[0].startswith("Updating lock file")
    lock_text = (root / "package-lock.yml").read_text()

    _publish(hub, "1.1.0")  # a newer release appears: the lock keeps the install reproducible
    again = deps(root, hub)
    assert not any(line.startswith("Updating lock file") for line in again.lines)
    assert _version_of(root, "core") == "1.0.0"
    assert "Updated version available: 1.1.0" in again.lines
    assert (root / "package-lock.yml").read_text() == lock_text

    upgraded = deps(root, hub, upgrade=True)
    assert upgraded.lines[0].startswith("Updating lock file")
    assert _version_of(root, "core") == "1.1.0"
    assert lock_of(root)["packages"][0]["version"] == "1.1.0"


def test_changing_the_spec_invalidates_the_lock(tmp_path: Path, hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    _publish(hub, "1.1.0")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: 1.0.0\n")
    deps(root, hub)
    old_hash = lock_of(root)["sha1_hash"]
    (root / "packages.yml").write_text("packages:\n  # pinned newer\n  - package: acme/core\n    version: 1.1.0\n")
    out = deps(root, hub)
    assert out.lines[0].startswith("Updating lock file")
    assert _version_of(root, "core") == "1.1.0"
    assert lock_of(root)["sha1_hash"] != old_hash
    # comments and formatting are not part of the spec
    (root / "packages.yml").write_text("packages: [{package: acme/core, version: 1.1.0}]\n")
    assert not deps(root, hub).lines[0].startswith("Updating lock file")


def test_lock_records_transitive_packages_and_installs_them_without_resolving(tmp_path: Path,
                                                                            hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    hub.publish("acme/reports", "1.0.0", deps=[{"package": "acme/core", "version": [">=1.0.0"]}])
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/reports\n    version: 1.0.0\n")
    deps(root, hub)
    assert [p["package"] for p in lock_of(root)["packages"]] == ["acme/reports", "acme/core"]
    _publish(hub, "1.2.0")
    # a newer acme/reports 1.0.0 metadata asking for something else does not matter: the lock is flat
    hub.publish("acme/reports", "1.0.0", deps=[{"package": "acme/core", "version": "1.2.0"}])
    deps(root, hub)
    assert _version_of(root, "core") == "1.0.0"


def test_lock_only_writes_the_lock(tmp_path: Path, hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: 1.0.0\n")
    out = deps(root, hub, lock_only=True)
    assert out.lines == [f"Updating lock file in file path: {root / 'package-lock.yml'}"]
    assert not (root / "dbt_packages").exists()
    assert lock_of(root)["packages"][0]["version"] == "1.0.0"
    out = deps(root, hub, lock_only=True)
    assert "up to date" in out.lines[0]
    deps(root, hub)
    assert list(installed(root)) == ["core"]


def test_sha1_hash_matches_dbt_for_local_git_and_tarball_entries(tmp_path: Path) -> None:
    """Golden hashes computed by dbt-core 1.11 for the same packages.yml entries, so a lock written by either
    tool is reused by the other."""
    from mason.deps.spec import Renderer, read_packages

    renderer = Renderer({}, {}, "root_project")
    cases = {
        "packages:\n  - local: ../localpkg\n": "471e45622fb6822ecb160a7e61e2557a10fb4597",
        "packages:\n  - local: ../localpkg\n    name: zzz\n": "31e8e48c3cc253b0e57ff31e919faaeaa01c4d0d",
        "packages:\n  - git: file:///tmp/exp/gitroot\n": "3726e5f0c7f465d6a027433831be7f9d0ad9d721",
        "packages:\n  - local: ../localpkg\n  - git: \"file:///tmp/exp/gitpkg\"\n    revision: v1.0\n"
        "    subdirectory: sub\n": "a692e8c7ee5e43bbd7cb24ba15798627632b479d",
        "packages:\n  - git: file:///tmp/exp/gitpkg\n    subdirectory: sub\n    revision: master\n"
        "    warn-unpinned: false\n": "0cbc7920107d57dfb5195481cc429187fd615964",
        "packages:\n  - tarball: http://127.0.0.1:8765/acme-common-1.0.0.tar.gz\n    name: common\n":
            "ed8e131b6ae9a51e3e696fcea6a96a15792c1cd2",
    }
    for index, (text, expected) in enumerate(cases.items()):
        root = make_root(tmp_path / f"p{index}", text)
        assert read_packages(root, renderer).sha1_hash == expected, text


@needs_git
def test_secret_in_git_url_stays_out_of_the_lock_and_output(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "secret_repo", {"dbt_project.yml": "name: git_pkg\nversion: '1.0'\n"})
    root = make_root(tmp_path / "root",
                     "packages:\n  - git: \"file://{{ env_var('DBT_ENV_SECRET_PATH') }}\"\n    revision: main\n")
    env = {"DBT_ENV_SECRET_PATH": str(repo)}
    out = deps(root, env=env)
    assert str(repo) not in out.text and "*****" in out.text
    lock = lock_of(root)["packages"][0]
    assert lock["git"] == "file://{{ env_var('DBT_ENV_SECRET_PATH') }}"
    git_commit(repo, {"README.md": "new"})
    deps(root, env=env)  # reinstalls from the lock: the URL is rendered again, the locked commit is kept
    assert lock_of(root)["packages"][0]["revision"] == lock["revision"] != head(repo)


@needs_git
def test_git_lock_pins_the_commit_until_upgrade(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"dbt_project.yml": "name: git_pkg\nversion: '1.0'\n",
                                        "macros/v.sql": "one"})
    first = head(repo)
    root = make_root(tmp_path / "root", f"packages:\n  - git: {repo.as_uri()}\n    revision: main\n")
    deps(root)
    git_commit(repo, {"macros/v.sql": "two"})
    deps(root)
    assert _version_of(root, "git_pkg") == "one"
    deps(root, upgrade=True)
    assert _version_of(root, "git_pkg") == "two"
    assert lock_of(root)["packages"][0]["revision"] == head(repo) != first


def test_add_package_hub_git_and_local(tmp_path: Path, hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    _publish(hub, "1.1.0")
    make_package(tmp_path / "local_one", "local_one")
    root = make_root(tmp_path / "root", "# my packages\npackages:\n  - local: ../local_one  # keep me\n")
    out = deps(root, hub, add_package="acme/core@1.0.0")
    assert out.lines[0] == f"Added new package acme/core@1.0.0 to {root / 'packages.yml'}"
    text = (root / "packages.yml").read_text()
    assert "# keep me" in text and "# my packages" in text, "appending keeps comments"
    assert yaml.safe_load(text)["packages"] == [{"local": "../local_one"},
                                                {"package": "acme/core", "version": "1.0.0"}]
    assert list(installed(root)) == ["core", "local_one"]

    deps(root, hub, add_package="acme/core@1.1.0")  # the same package again: replaced, not duplicated
    assert yaml.safe_load((root / "packages.yml").read_text())["packages"] == [
        {"local": "../local_one"}, {"package": "acme/core", "version": "1.1.0"}]
    assert _version_of(root, "core") == "1.1.0"

    from mason.deps.add import parse_add_package

    assert parse_add_package("git@example.com:acme/repo.git@v2", "git")[0] == {
        "git": "git@example.com:acme/repo.git", "revision": "v2"}
    assert parse_add_package("https://example.com/acme/repo.git", "git")[0] == {
        "git": "https://example.com/acme/repo.git"}

    make_package(tmp_path / "local_two", "local_two")
    deps(root, hub, add_package="../local_two", source="local")
    assert list(installed(root)) == ["core", "local_one", "local_two"]


def test_add_package_without_version_takes_the_latest_and_creates_the_file(tmp_path: Path,
                                                                           hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    _publish(hub, "1.2.0")
    root = make_root(tmp_path / "root")
    out = deps(root, hub, add_package="acme/core", lock_only=True)
    assert out.lines[0] == f"Added new package acme/core@1.2.0 to {root / 'packages.yml'}"
    assert yaml.safe_load((root / "packages.yml").read_text()) == {
        "packages": [{"package": "acme/core", "version": "1.2.0"}]}
    assert not (root / "dbt_packages").exists()


def test_add_package_rejects_malformed_hub_names(tmp_path: Path, hub: LocalHub) -> None:
    from mason.errors import UsageError

    root = make_root(tmp_path / "root")
    with pytest.raises(UsageError, match="owner/name@version"):
        deps(root, hub, add_package="dbt_utils@1.0.0")
    assert not (root / "packages.yml").exists()


def test_damaged_lock_file_is_reported(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "pkg_a")
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n")
    (root / "package-lock.yml").write_text("packages:\n  - local: ../a\n    bogus: 1\nsha1_hash: x\n")
    with pytest.raises(DepsError, match=r"package-lock.yml:2: unknown key\(s\) bogus"):
        deps(root)
    deps(root, upgrade=True)
    assert list(installed(root)) == ["pkg_a"]


def test_outdated_lock_keeps_versions_the_new_spec_still_allows(tmp_path: Path, hub: LocalHub) -> None:
    _publish(hub, "1.0.0")
    hub.publish("acme/extra", "1.0.0")
    root = make_root(tmp_path / "root", 'packages:\n  - package: acme/core\n    version: [">=1.0.0"]\n')
    deps(root, hub)
    _publish(hub, "1.1.0")

    # adding a package re-resolves, but acme/core stays where the lock had it
    (root / "packages.yml").write_text('packages:\n  - package: acme/core\n    version: [">=1.0.0"]\n'
                                       "  - package: acme/extra\n    version: 1.0.0\n")
    out = deps(root, hub)
    assert out.lines[0].startswith("Keeping acme/core 1.0.0 from package-lock.yml")
    assert out.lines[1].startswith("Updating lock file")
    assert _version_of(root, "core") == "1.0.0" and "extra" in installed(root)

    # a lock written by another tool (another hash) is honoured the same way, and rewritten
    lock_path = root / "package-lock.yml"
    lock_path.write_text(lock_path.read_text().replace(lock_of(root)["sha1_hash"], "0" * 40))
    deps(root, hub)
    assert _version_of(root, "core") == "1.0.0" and lock_of(root)["sha1_hash"] != "0" * 40

    # a range the locked version no longer meets moves it
    (root / "packages.yml").write_text('packages:\n  - package: acme/core\n    version: [">=1.1.0"]\n')
    deps(root, hub)
    assert _version_of(root, "core") == "1.1.0" and list(installed(root)) == ["core"]


def test_lock_pointing_at_a_vanished_folder_says_how_to_recover(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "pkg_a")
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n")
    deps(root)
    (tmp_path / "a").rename(tmp_path / "moved")
    with pytest.raises(DepsError) as err:
        deps(root)
    text = err.value.render()
    assert text.startswith("package-lock.yml:2: local package '../a': folder ")
    assert "fix the path" in text and "`mason deps --upgrade` resolves packages.yml again" in text
