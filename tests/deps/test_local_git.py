"""`local:` and `git:` packages, with real folders and real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from mason.deps.spec import DepsError

from .conftest import (
    deps,
    git,
    git_commit,
    git_repo,
    head,
    installed,
    lock_of,
    make_package,
    make_root,
    needs_git,
)


def test_local_package_is_linked_under_its_project_name(tmp_path: Path) -> None:
    make_package(tmp_path / "libs" / "utils_folder", "my_utils", files={"macros/m.sql": "{% macro m() %}1{% endmacro %}"})
    root = make_root(tmp_path / "root", "packages:\n  - local: ../libs/utils_folder\n")
    out = deps(root)
    assert out.code == 0
    pkgs = installed(root)
    assert list(pkgs) == ["my_utils"]
    assert pkgs["my_utils"].is_symlink()
    assert pkgs["my_utils"].resolve() == (tmp_path / "libs" / "utils_folder").resolve()
    assert (pkgs["my_utils"] / "macros" / "m.sql").is_file()
    assert out.lines == ["Updating lock file in file path: " + str(root / "package-lock.yml"),
                         "Installing ../libs/utils_folder", "Installed from <local @ ../libs/utils_folder>"]
    assert lock_of(root)["packages"] == [{"local": "../libs/utils_folder", "name": "my_utils"}]


def test_install_replaces_old_contents(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "pkg_a")
    make_package(tmp_path / "b", "pkg_b")
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n  - local: ../b\n")
    (root / "dbt_packages" / "stale_pkg").mkdir(parents=True)
    (root / "dbt_packages" / "stale_pkg" / "dbt_project.yml").write_text("name: stale_pkg\n")
    deps(root)
    assert list(installed(root)) == ["pkg_a", "pkg_b"]
    (root / "packages.yml").write_text("packages:\n  - local: ../b\n")
    deps(root)
    assert list(installed(root)) == ["pkg_b"]
    assert (tmp_path / "a" / "dbt_project.yml").is_file(), "removing a link must not delete the package itself"
    assert not [p for p in root.iterdir() if p.name.startswith(".dbt_packages")], "no temporary folders left"


def test_packages_install_path_is_honoured(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "pkg_a")
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n", extra="packages-install-path: vendor/pkgs\n")
    deps(root)
    assert list(installed(root, "vendor/pkgs")) == ["pkg_a"]
    assert not (root / "dbt_packages").exists()


def test_missing_local_path_names_file_and_line(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n\n  - local: ../nowhere\n")
    make_package(tmp_path / "a", "pkg_a")
    with pytest.raises(DepsError) as err:
        deps(root)
    text = err.value.render()
    assert text.startswith("packages.yml:4: local package '../nowhere'")
    assert "does not exist" in text and "hint:" in text
    assert not (root / "dbt_packages").exists() and not (root / "package-lock.yml").exists()


def test_local_folder_without_dbt_project(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    root = make_root(tmp_path / "root", "packages:\n  - local: ../empty\n")
    with pytest.raises(DepsError, match=r"has no dbt_project.yml"):
        deps(root)


def test_transitive_local_packages_resolve_relative_to_their_declarer(tmp_path: Path) -> None:
    make_package(tmp_path / "libs" / "base", "base_pkg")
    make_package(tmp_path / "libs" / "mid", "mid_pkg", packages=[{"local": "../base"}])
    root = make_root(tmp_path / "root", "packages:\n  - local: ../libs/mid\n")
    out = deps(root)
    assert list(installed(root)) == ["base_pkg", "mid_pkg"]
    assert "Installing ../base" in out.lines
    # the lock lists the transitive package by a path that works from the root project
    assert lock_of(root)["packages"][1] == {"local": "../libs/base", "name": "base_pkg"}


def test_jinja_env_var_and_cli_vars_render(tmp_path: Path) -> None:
    make_package(tmp_path / "pkgs" / "a", "pkg_a")
    make_package(tmp_path / "pkgs" / "b", "pkg_b")
    root = make_root(tmp_path / "root", "packages:\n  - local: \"{{ env_var('PKG_DIR') }}/a\"\n"
                                        "  - local: \"../pkgs/{{ var('which') }}\"\n")
    deps(root, env={"PKG_DIR": "../pkgs"}, cli_vars={"which": "b"})
    assert list(installed(root)) == ["pkg_a", "pkg_b"]
    with pytest.raises(DepsError) as err:
        deps(root, cli_vars={"which": "b"})
    assert err.value.render().startswith("packages.yml:2:") and "PKG_DIR" in err.value.render()


def test_dependencies_yml_and_both_files(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "pkg_a")
    root = make_root(tmp_path / "root")
    (root / "dependencies.yml").write_text("packages:\n  - local: ../a\n")
    deps(root)
    assert list(installed(root)) == ["pkg_a"]
    (root / "packages.yml").write_text("packages:\n  - local: ../a\n")
    with pytest.raises(DepsError, match="both packages.yml and dependencies.yml"):
        deps(root)


def test_no_packages_warns_and_leaves_install_folder(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", "packages: []\n")
    (root / "dbt_packages" / "keep").mkdir(parents=True)
    out = deps(root)
    assert out.lines == ["Warning: No packages were found in packages.yml"]
    assert (root / "dbt_packages" / "keep").is_dir()


def test_entry_errors_point_at_the_entry(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n    git: x\n")
    with pytest.raises(DepsError) as err:
        deps(root)
    assert err.value.render().startswith("packages.yml:2: a package entry needs exactly one of")
    (root / "packages.yml").write_text("packages:\n  - tarball: http://x/y.tgz\n")
    with pytest.raises(DepsError, match=r"packages.yml:2: a tarball package needs a `name:`"):
        deps(root)


def test_two_packages_with_one_name_conflict(tmp_path: Path) -> None:
    make_package(tmp_path / "a", "same_name")
    make_package(tmp_path / "b", "same_name")
    root = make_root(tmp_path / "root", "packages:\n  - local: ../a\n  - local: ../b\n")
    with pytest.raises(DepsError, match=r"two different packages are both named 'same_name'"):
        deps(root)


# ------------------------------------------------------------------------------------------------ git


@needs_git
def test_git_tag_branch_and_sha(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"dbt_project.yml": "name: git_pkg\nversion: '1.0'\n",
                                        "macros/v.sql": "{% macro v() %}1{% endmacro %}"})
    first = head(repo)
    git(repo, "tag", "v1.0")
    git_commit(repo, {"macros/v.sql": "{% macro v() %}2{% endmacro %}"})
    second = head(repo)
    url = repo.as_uri()
    root = make_root(tmp_path / "root", f"packages:\n  - git: {url}\n    revision: v1.0\n")

    out = deps(root)
    pkg = installed(root)["git_pkg"]
    assert "1{% endmacro" in (pkg / "macros" / "v.sql").read_text()
    assert not (pkg / ".git").exists() and not pkg.is_symlink()
    assert out.lines[1:] == [f"Installing {url}", f"Installed from revision {first}"]
    assert lock_of(root)["packages"] == [{"git": url, "name": "git_pkg", "revision": first}]

    (root / "packages.yml").write_text(f"packages:\n  - git: {url}\n    revision: main\n")
    deps(root)
    assert "2{% endmacro" in (installed(root)["git_pkg"] / "macros" / "v.sql").read_text()
    assert lock_of(root)["packages"][0]["revision"] == second

    for revision in (first, first[:10]):  # a full and a short commit sha
        (root / "packages.yml").write_text(f"packages:\n  - git: {url}\n    revision: '{revision}'\n")
        deps(root)
        assert "1{% endmacro" in (installed(root)["git_pkg"] / "macros" / "v.sql").read_text()
        assert lock_of(root)["packages"][0]["revision"] == first


@needs_git
def test_git_subdirectory_unpinned_warning_and_transitive(tmp_path: Path) -> None:
    make_package(tmp_path / "shared", "shared_pkg")
    repo = git_repo(tmp_path / "mono", {
        "README.md": "monorepo",
        "dbt/inner/dbt_project.yml": "name: inner_pkg\nversion: '1.0'\n",
        "dbt/inner/packages.yml": f"packages:\n  - local: {tmp_path / 'shared'}\n",
    })
    url = repo.as_uri()
    root = make_root(tmp_path / "root", f"packages:\n  - git: {url}\n    subdirectory: dbt/inner\n")
    out = deps(root)
    assert list(installed(root)) == ["inner_pkg", "shared_pkg"]
    assert any(line.startswith(f'Warning: the git package "{url}" is not pinned') for line in out.lines)
    assert f"Installing {url}/dbt/inner" in out.lines and "and subdirectory dbt/inner" in out.lines
    lock = lock_of(root)["packages"]
    assert lock[0] == {"git": url, "name": "inner_pkg", "revision": head(repo), "subdirectory": "dbt/inner"}
    assert lock[1]["name"] == "shared_pkg"

    (root / "packages.yml").write_text(
        f"packages:\n  - git: {url}\n    subdirectory: dbt/inner\n    warn-unpinned: false\n")
    out = deps(root)
    assert not any("not pinned" in line for line in out.lines)


@needs_git
def test_git_failures_show_gits_message(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"dbt_project.yml": "name: git_pkg\nversion: '1.0'\n"})
    root = make_root(tmp_path / "root", f"packages:\n  - local: ../repo\n  - git: {repo.as_uri()}\n"
                                        "    revision: no-such-tag\n")
    with pytest.raises(DepsError) as err:
        deps(root)
    text = err.value.render()
    assert text.startswith("packages.yml:3: could not fetch revision 'no-such-tag'")
    assert "no-such-tag" in text.split("\n", 1)[1], "git's own message is shown"
    (root / "packages.yml").write_text(f"packages:\n  - git: {(tmp_path / 'missing').as_uri()}\n")
    with pytest.raises(DepsError) as err:
        deps(root)
    assert "does not appear to be a git repository" in err.value.render()
    (root / "packages.yml").write_text(f"packages:\n  - git: {repo.as_uri()}\n    subdirectory: nope\n")
    with pytest.raises(DepsError, match=r"no dbt_project.yml in subdirectory 'nope'"):
        deps(root)


@needs_git
def test_git_same_repo_at_two_revisions_is_a_conflict(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"dbt_project.yml": "name: git_pkg\nversion: '1.0'\n"})
    git(repo, "tag", "v1")
    git(repo, "tag", "v2")
    url = repo.as_uri()
    make_package(tmp_path / "mid", "mid_pkg", packages=[{"git": url + ".git", "revision": "v2"}])
    root = make_root(tmp_path / "root", f"packages:\n  - git: {url}\n    revision: v1\n  - local: ../mid\n")
    with pytest.raises(DepsError) as err:
        deps(root)
    text = err.value.render()
    assert text.startswith(f"packages.yml:2: git package {url} is requested at different revisions")
    assert "packages.yml:2 asks for revision v1" in text
    assert "package mid_pkg (../mid/packages.yml:2) asks for revision v2" in text


@needs_git
def test_monorepo_local_paths_inside_a_git_package_stay_in_that_repository(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "mono", {
        "packages/core/dbt_project.yml": "name: core_pkg\nversion: '1.0'\n",
        "packages/marts/dbt_project.yml": "name: marts_pkg\nversion: '1.0'\n",
        "packages/marts/packages.yml": "packages:\n  - local: ../core\n",
    })
    git(repo, "tag", "v1")
    url = repo.as_uri()
    root = make_root(tmp_path / "root",
                     f"packages:\n  - git: {url}\n    revision: v1\n    subdirectory: packages/marts\n")
    deps(root)
    pkgs = installed(root)
    assert list(pkgs) == ["core_pkg", "marts_pkg"]
    assert not pkgs["core_pkg"].is_symlink() and (pkgs["core_pkg"] / "dbt_project.yml").is_file()
    sha = head(repo)
    assert lock_of(root)["packages"][1] == {"git": url, "name": "core_pkg", "revision": sha,
                                            "subdirectory": "packages/core"}
    git_commit(repo, {"packages/core/new.sql": "select 1"})
    deps(root)  # from the lock
    assert list(installed(root)) == ["core_pkg", "marts_pkg"]
    assert not (installed(root)["core_pkg"] / "new.sql").exists()
