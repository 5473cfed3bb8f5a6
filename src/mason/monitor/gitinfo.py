"""The commit a project is at (for the run history), read from .git without running git."""

from __future__ import annotations

from pathlib import Path


def git_head(start: Path) -> tuple[str | None, str | None]:
    """(commit sha, branch) of the repository holding `start`; (None, None) outside one. Handles worktrees
    (a .git file pointing at the real folder) and packed refs."""
    try:
        for folder in (start, *start.parents):
            dot = folder / ".git"
            if dot.is_dir():
                return _read(dot, dot)
            if dot.is_file():
                text = dot.read_text(encoding="utf-8").strip()
                if not text.startswith("gitdir:"):
                    return None, None
                gitdir = (folder / text[len("gitdir:"):].strip()).resolve()
                common = gitdir
                if (gitdir / "commondir").is_file():
                    common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
                return _read(gitdir, common)
    except (OSError, UnicodeDecodeError):
        pass
    return None, None


def _read(gitdir: Path, common: Path) -> tuple[str | None, str | None]:
    head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    if not head.startswith("ref:"):
        return (head or None), None
    ref = head[4:].strip()
    branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref
    for base in (gitdir, common):
        path = base / ref
        if path.is_file():
            return path.read_text(encoding="utf-8").strip() or None, branch
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1].strip() == ref:
                return parts[0], branch
    return None, branch  # a branch with no commit yet
