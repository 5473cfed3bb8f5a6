"""Discovering a package's files by resource folder, with their contents and hashes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from mason.errors import not_utf8


@dataclass(frozen=True, slots=True)
class SourceFile:
    package: str
    root: Path  # package root
    resource_path: str  # the configured folder it was found under ("models")
    relative_path: str  # path inside that folder, with forward slashes ("staging/stg_orders.sql")
    text: str

    @property
    def original_file_path(self) -> str:
        return f"{self.resource_path}/{self.relative_path}" if self.resource_path not in ("", ".") else self.relative_path

    @property
    def stem(self) -> str:
        name = self.relative_path.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[0]

    @property
    def folders(self) -> list[str]:
        parts = self.relative_path.split("/")
        return parts[:-1]

    @property
    def checksum(self) -> str:
        # dbt hashes the file's contents with surrounding whitespace stripped
        return hashlib.sha256(self.text.strip().encode("utf-8")).hexdigest()

    @property
    def file_id(self) -> str:
        return f"{self.package}://{self.original_file_path}"


def walk(root: Path, resource_path: str, suffixes: tuple[str, ...], skip_dirs: tuple[str, ...] = ()) -> list[tuple[str, Path]]:
    """(relative path, absolute path) of files under root/resource_path with one of `suffixes`, sorted."""
    base = root / resource_path
    if not base.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    stack = [(base, "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            child_rel = f"{rel}/{name}" if rel else name
            if entry.is_dir(follow_symlinks=True):
                if child_rel in skip_dirs:
                    continue
                stack.append((Path(entry.path), child_rel))
            elif name.endswith(suffixes):
                found.append((child_rel, Path(entry.path)))
    found.sort()
    return found


def read_files(package: str, root: Path, resource_paths: tuple[str, ...], suffixes: tuple[str, ...],
               skip_dirs: tuple[str, ...] = ()) -> list[SourceFile]:
    files: list[SourceFile] = []
    for resource_path in resource_paths:
        rp = resource_path.rstrip("/")
        for rel, path in walk(root, rp, suffixes, skip_dirs):
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise not_utf8(f"{rp}/{rel}" if rp not in ("", ".") else rel, path, exc) from None
            files.append(SourceFile(package, root, rp, rel, text))
    return files

