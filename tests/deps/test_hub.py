"""Hub and tarball packages against a package hub served over HTTP by a local server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mason.deps.spec import DepsError

from .conftest import LocalHub, deps, installed, lock_of, make_root


def _macro(text: str) -> dict[str, str]:
    return {"macros/version.sql": f"{{% macro pkg_version() %}}{text}{{% endmacro %}}"}


def test_exact_version_and_update_notice(tmp_path: Path, hub: LocalHub) -> None:
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        hub.publish("acme/utils", version, files=_macro(version), project_name="acme_utils")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/utils\n    version: 1.1.0\n")
    out = deps(root, hub)
    assert out.code == 0
    pkg = installed(root)["acme_utils"]
    assert "1.1.0" in (pkg / "macros" / "version.sql").read_text()
    assert out.lines[1:5] == ["Installing acme/utils", "Installed from version 1.1.0",
                              "Updated version available: 2.0.0", ""]
    assert out.lines[5] == "Updates available for packages: ['acme/utils']"
    assert lock_of(root)["packages"] == [{"name": "acme_utils", "package": "acme/utils", "version": "1.1.0"}]


def test_range_picks_newest_match_and_skips_prereleases(tmp_path: Path, hub: LocalHub) -> None:
    for version in ("0.9.0", "1.0.0", "1.4.2", "1.5.0-b1", "2.0.0"):
        hub.publish("acme/utils", version, files=_macro(version))
    root = make_root(tmp_path / "root",
                     'packages:\n  - package: acme/utils\n    version: [">=1.0.0", "<2.0.0"]\n')
    deps(root, hub)
    assert lock_of(root)["packages"][0]["version"] == "1.4.2"
    (root / "packages.yml").write_text('packages:\n  - package: acme/utils\n    version: [">=1.0.0", "<2.0.0"]\n'
                                       "    install-prerelease: true\n")
    out = deps(root, hub)  # the lock's version still fits, so it stays, and we are told how to move
    assert "Keeping acme/utils 1.4.2 from package-lock.yml (1.5.0-b1 matches too" in out.text
    out = deps(root, hub, upgrade=True)
    assert lock_of(root)["packages"][0]["version"] == "1.5.0-b1"
    assert "1.5.0-b1" in (installed(root)["utils"] / "macros" / "version.sql").read_text()
    assert "Updated version available: 2.0.0" in out.lines


def test_transitive_hub_ranges_are_intersected(tmp_path: Path, hub: LocalHub) -> None:
    for version in ("1.0.0", "1.3.0", "1.6.0", "2.0.0"):
        hub.publish("acme/core", version)
    hub.publish("acme/reports", "3.0.0", deps=[{"package": "acme/core", "version": [">=1.0.0", "<1.5.0"]}])
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/reports\n    version: 3.0.0\n"
                                        '  - package: acme/core\n    version: [">=1.2.0"]\n')
    out = deps(root, hub)
    assert list(installed(root)) == ["core", "reports"]
    lock = lock_of(root)["packages"]
    assert [(p["package"], p["version"]) for p in lock] == [("acme/reports", "3.0.0"), ("acme/core", "1.3.0")]
    assert "Installed from version 1.3.0" in out.lines


def test_transitive_only_dependency_is_installed(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    hub.publish("acme/reports", "1.0.0", deps=[{"package": "acme/core", "version": "1.0.0"}])
    hub.publish("acme/top", "1.0.0", deps=[{"package": "acme/reports", "version": [">=1.0.0"]}])
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/top\n    version: 1.0.0\n")
    deps(root, hub)
    assert list(installed(root)) == ["core", "reports", "top"]
    assert [p["name"] for p in lock_of(root)["packages"]] == ["top", "reports", "core"]


def test_conflict_names_who_asked_for_what(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    hub.publish("acme/core", "2.0.0")
    hub.publish("acme/reports", "1.0.0", deps=[{"package": "acme/core", "version": [">=1.0.0", "<2.0.0"]}])
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/reports\n    version: 1.0.0\n"
                                        '  - package: acme/core\n    version: ">=2.0.0"\n')
    with pytest.raises(DepsError) as err:
        deps(root, hub)
    text = err.value.render()
    assert text.splitlines()[:3] == [
        "packages.yml:4: version conflict for acme/core: no version satisfies every requirement:",
        "    packages.yml:4 asks for >=2.0.0",
        "    acme/reports@1.0.0 asks for >=1.0.0, <2.0.0",
    ]
    assert "hint:" in text
    assert not (root / "package-lock.yml").exists()


def test_no_version_in_range(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    hub.publish("acme/core", "1.1.0-rc1")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: \">1.0.0\"\n")
    with pytest.raises(DepsError) as err:
        deps(root, hub)
    text = err.value.render()
    assert text.startswith("packages.yml:2: no version of acme/core satisfies >1.0.0")
    assert "available: 1.0.0" in text
    assert "prerelease 1.1.0-rc1 matches: add `install-prerelease: true`" in text


def test_versions_for_another_dbt_are_skipped_unless_no_version_check(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0", require_dbt_version=[">=1.0.0", "<2.0.0"])
    hub.publish("acme/core", "1.1.0", require_dbt_version=">=99.0.0")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: [\">=1.0.0\"]\n")
    deps(root, hub)
    assert lock_of(root)["packages"][0]["version"] == "1.0.0"
    deps(root, hub, upgrade=True, version_check=False)
    assert lock_of(root)["packages"][0]["version"] == "1.1.0"


def test_unknown_package_suggests_close_names(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("dbt-labs/dbt_utils", "1.0.0")
    hub.publish("acme/core", "1.0.0")
    root = make_root(tmp_path / "root", "packages:\n  - package: dbt-labs/dbt_util\n    version: 1.0.0\n")
    with pytest.raises(DepsError) as err:
        deps(root, hub)
    assert err.value.render() == ("packages.yml:2: package dbt-labs/dbt_util was not found in the package hub "
                                  "index\n  hint: did you mean 'dbt-labs/dbt_utils'?")
    (root / "packages.yml").write_text("packages:\n  - package: fishtown/dbt_utils\n    version: 1.0.0\n")
    with pytest.raises(DepsError, match="did you mean 'dbt-labs/dbt_utils'"):
        deps(root, hub)


def test_hub_entry_checks(tmp_path: Path, hub: LocalHub) -> None:
    root = make_root(tmp_path / "root", "packages:\n  - package: dbt_utils\n    version: 1.0.0\n")
    with pytest.raises(DepsError, match=r"packages.yml:2: hub package 'dbt_utils' must be written as owner/name"):
        deps(root, hub)
    (root / "packages.yml").write_text("packages:\n  - package: acme/core\n")
    with pytest.raises(DepsError, match=r"packages.yml:2: hub package acme/core needs a `version:`"):
        deps(root, hub)
    (root / "packages.yml").write_text("packages:\n  - package: acme/core\n    version: latest\n")
    with pytest.raises(DepsError, match=r"'latest' is not a version"):
        deps(root, hub)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_network_failure_is_one_clear_error(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: 1.0.0\n")
    with pytest.raises(DepsError) as err:
        deps(root, hub_url=f"http://127.0.0.1:{_closed_port()}/")
    text = err.value.render()
    assert text.startswith("packages.yml:2: package hub index: could not download http://127.0.0.1:")
    assert "hint: check your network connection" in text


def test_hub_url_from_environment(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: 1.0.0\n")
    deps(root, env={"MASON_HUB_URL": hub.url.rstrip("/")})
    assert list(installed(root)) == ["core"]


def test_corrupt_download_is_refused(tmp_path: Path, hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0", corrupt_sha1=True)
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/core\n    version: 1.0.0\n")
    with pytest.raises(DepsError, match="does not match its published sha1"):
        deps(root, hub)
    assert not (root / "dbt_packages").exists()


def test_tarball_package(tmp_path: Path, hub: LocalHub) -> None:
    url = hub.publish("acme/core", "1.2.0", files=_macro("tar"), project_name="core_pkg")
    root = make_root(tmp_path / "root", f"packages:\n  - tarball: {url}\n    name: core_pkg\n")
    out = deps(root, hub)
    assert "tar" in (installed(root)["core_pkg"] / "macros" / "version.sql").read_text()
    assert out.lines[1:] == ["Installing core_pkg", f"Installed from tarball (url: {url})"]
    assert lock_of(root)["packages"] == [{"name": "core_pkg", "tarball": url}]
    (root / "packages.yml").write_text(f"packages:\n  - tarball: {url}.missing\n    name: core_pkg\n")
    with pytest.raises(DepsError, match=r"packages.yml:2: tarball package core_pkg: .* was not found"):
        deps(root, hub)


def test_hub_dependencies_come_from_the_download_when_metadata_lacks_them(tmp_path: Path,
                                                                          hub: LocalHub) -> None:
    hub.publish("acme/core", "1.0.0")
    hub.publish("acme/reports", "1.0.0", deps=[{"package": "acme/core", "version": "1.0.0"}])
    del hub.records["acme/reports"]["versions"]["1.0.0"]["packages"]
    hub._write()
    root = make_root(tmp_path / "root", "packages:\n  - package: acme/reports\n    version: 1.0.0\n")
    deps(root, hub)
    assert list(installed(root)) == ["core", "reports"]
