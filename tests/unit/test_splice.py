"""manifest.json patched entry by entry (mason.artifacts.splice) equals writing it whole."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mason.artifacts import splice, writer
from mason.observe import masking


def _data(nodes: dict[str, dict], extra: str = "x") -> dict:
    return {"metadata": {"invocation_id": extra}, "nodes": nodes, "parent_map": {k: [] for k in NODES},
            "tail": [1, 2, 3]}


NODES = {f"model.p.m{i}": {"name": f"m{i}", "raw_code": "select " + "1" * i, "n": i} for i in range(50)}


def test_patch_equals_a_whole_write(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    splice.write_indexed(path, _data(NODES), "nodes")
    assert json.loads(path.read_bytes()) == _data(NODES)
    changed = {"model.p.m3": {"name": "m3", "raw_code": "a much longer body than before " * 5, "n": 3},
               "model.p.m40": {"name": "m40", "raw_code": "", "n": 40}}
    new_nodes = {**NODES, **changed}
    assert splice.patch_indexed(path, _data(changed, "y"), "nodes", list(NODES))
    assert json.loads(path.read_bytes()) == _data(new_nodes, "y")
    # the offsets were updated: a second patch, at other places, is still right
    again = {"model.p.m0": {"name": "m0"}, "model.p.m49": {"name": "m49", "big": "z" * 300}}
    assert splice.patch_indexed(path, _data(again, "z"), "nodes", list(NODES))
    assert json.loads(path.read_bytes()) == _data({**new_nodes, **again}, "z")
    whole = tmp_path / "whole.json"
    splice.write_indexed(whole, _data({**new_nodes, **again}, "z"), "nodes")
    assert path.read_bytes() == whole.read_bytes()


def test_patch_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    splice.write_indexed(path, _data(NODES), "nodes")
    path.write_text(path.read_text() + " ")  # another program rewrote it
    assert not splice.patch_indexed(path, _data({"model.p.m1": {}}), "nodes", list(NODES))
    splice.write_indexed(path, _data(NODES), "nodes")
    # a different set or order of nodes, or an unknown node, is refused too
    assert not splice.patch_indexed(path, _data({"model.p.m1": {}}), "nodes", list(NODES)[::-1])
    assert not splice.patch_indexed(path, _data({"model.p.new": {}}), "nodes", list(NODES))
    os.unlink(splice.offsets_path(path))
    assert not splice.patch_indexed(path, _data({"model.p.m1": {}}), "nodes", list(NODES))


def test_secrets_are_masked_and_a_new_secret_forces_a_whole_write(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(masking, "_values", ("hunter2secret",))
    path = tmp_path / "manifest.json"
    nodes = {**NODES, "model.p.m1": {"raw_code": "password hunter2secret"}}
    splice.write_indexed(path, _data(nodes), "nodes")
    assert b"hunter2secret" not in path.read_bytes() and b"*****" in path.read_bytes()
    assert splice.patch_indexed(path, _data({"model.p.m2": {"raw_code": "again hunter2secret"}}), "nodes",
                                list(nodes))
    assert b"hunter2secret" not in path.read_bytes()
    monkeypatch.setattr(masking, "_values", ("hunter2secret", "another-one"))
    assert not splice.patch_indexed(path, _data({"model.p.m2": {}}), "nodes", list(nodes))


def test_a_replaced_large_file_is_removed_at_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mason import background

    monkeypatch.setattr(writer, "BIG_FILE", 10)
    monkeypatch.setenv("MASON_NO_FORK", "1")
    path = tmp_path / "manifest.json"
    (tmp_path / ".manifest.json.999999.old").write_text("left by a killed command")
    writer.write_bytes(path, b"x" * 100)
    writer.write_bytes(path, b"y" * 100)  # the old file is kept alive under another name until exit
    assert path.read_bytes() == b"y" * 100
    assert any(p.name.endswith(".old") for p in tmp_path.iterdir())
    background.run_deferred()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def test_a_deferred_write_runs_before_anything_reads_under_the_lock(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from mason import background

    monkeypatch.setenv("MASON_NO_FORK", "1")
    lock = tmp_path / "cache.lock"
    lock.touch()
    done: list[str] = []
    background.write_detached(lock, lambda: done.append("written"), defer=True)
    assert done == []  # not yet: the command has not exited or read
    with background.read_lock(lock):
        assert done == ["written"]


def test_a_patch_needs_the_same_kind_of_content(tmp_path: Path) -> None:
    """manifest.json written with compiled code is not patched by a parse (which writes parsed nodes)."""
    path = tmp_path / "manifest.json"
    splice.write_indexed(path, _data(NODES), "nodes", "compiled")
    assert not splice.patch_indexed(path, _data({"model.p.m1": {}}), "nodes", list(NODES), "parsed")
    splice.write_indexed(path, _data(NODES), "nodes", "parsed")
    assert splice.patch_indexed(path, _data({"model.p.m1": {}}), "nodes", list(NODES), "parsed")
