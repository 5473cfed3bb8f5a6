"""A JSON object written so that one large section can be patched entry by entry later.

manifest.json of a 10,000-model project is about 70 MB, nearly all of it the "nodes" object. After an
edit to one model, re-encoding all of it (or reading and decoding it to reuse the unchanged entries) cost
most of a re-parse. So the full write records, in a small file beside the JSON, where each entry of that
section starts and ends; a patch re-encodes the small sections and the changed entries and copies every
unchanged byte range from the old file in the kernel (`os.copy_file_range`), never reading it into Python.

The offsets file names the JSON file's size and modification time and the secrets masked when it was
written: when any of these differ (another program rewrote it, a new secret), the patch refuses and the
caller writes the file whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mason.artifacts import writer
from mason.observe import masking

FORMAT = 3


def offsets_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.offsets")


def _secrets() -> tuple[list[bytes], str]:
    import msgspec

    encoded = [msgspec.json.encode(s)[1:-1] for s in masking.registered()]  # as each appears inside a JSON string
    return encoded, hashlib.sha256(b"\0".join(sorted(encoded))).hexdigest()


def _scrub(blob: bytes, secrets: list[bytes]) -> bytes:
    for secret in secrets:
        if secret in blob:
            blob = blob.replace(secret, b"*****")
    return blob


def _encoder() -> Any:
    import msgspec

    return msgspec.json.Encoder(enc_hook=writer._default)


def write_indexed(path: Path, data: dict[str, Any], key: str, tag: str = "") -> None:
    """Write `data` as JSON to `path` (atomically) and the offsets of the entries of `data[key]`; a patch
    must name the same `tag` (what kind of content the entries hold). `data[key]` may be any mapping (a
    lazy one builds each entry when asked): the file is written as the entries are encoded, a few thousand
    at a time, so neither all the entries nor all their JSON are held at once (peak memory: 70 MB less at
    10,000 models)."""
    enc = _encoder()
    secrets, secrets_key = _secrets()
    out: list[bytes] = [b"{"]
    pos = 1
    ids: list[str] = []
    starts, ends = array("q"), array("q")
    body = (0, 0)
    with _replacing(path) as fd:
        for i, (name, value) in enumerate(data.items()):
            prefix = (b"," if i else b"") + enc.encode(name) + b":"
            if name != key:
                blob = prefix + _scrub(enc.encode(value), secrets)
                out.append(blob)
                pos += len(blob)
                continue
            out.append(prefix + b"{")
            pos += len(prefix) + 1
            body_start = pos
            sep = b""
            for entry_id, entry in value.items():
                head = sep + enc.encode(entry_id) + b":"
                blob = _scrub(enc.encode(entry), secrets)
                out.append(head)
                out.append(blob)
                pos += len(head)
                starts.append(pos)
                pos += len(blob)
                ends.append(pos)
                ids.append(entry_id)
                sep = b","
                if len(out) >= 4096:
                    _write_parts(fd, out)
                    out = []
            body = (body_start, pos)
            out.append(b"}")
            pos += 1
        out.append(b"}")
        _write_parts(fd, out)
    _save_offsets(path, key + tag, secrets_key, body, ids, starts, ends)


def _write_parts(fd: int, parts: list[bytes]) -> None:
    """Write the parts with writev, without joining them into one buffer first."""
    batch = max(16, min(os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024, 1024))
    for i in range(0, len(parts), batch):
        chunk = parts[i:i + batch]
        written = os.writev(fd, chunk)
        if written != sum(map(len, chunk)):  # a short write: finish this batch plainly
            _write(fd, b"".join(chunk)[written:])


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[int]:
    """A descriptor on a temporary file that replaces `path` when the block succeeds (removed if not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        yield fd
        os.close(fd)
        fd = -1
        writer.replace_file(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _digest(ids: list[str]) -> str:
    """The entries' ids in order, as a digest: cheaper to check than a stored list is to load."""
    return hashlib.sha1("\0".join(ids).encode("utf-8")).hexdigest()


def _save_offsets(path: Path, key: str, secrets_key: str, body: tuple[int, int], ids: list[str],
                  starts: array, ends: array) -> None:
    st = path.stat()
    record = (FORMAT, st.st_size, st.st_mtime_ns, key, secrets_key, body, _digest(ids), starts, ends)
    writer.write_bytes(offsets_path(path), pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


def _load_offsets(path: Path, key: str, secrets_key: str) -> tuple[Any, ...] | None:
    try:
        record = pickle.loads(offsets_path(path).read_bytes())
        st = path.stat()
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(record, tuple) or len(record) != 9 or record[0] != FORMAT:
        return None
    _, size, mtime_ns, rec_key, rec_secrets, body, ids, starts, ends = record
    if (size, mtime_ns, rec_key, rec_secrets) != (st.st_size, st.st_mtime_ns, key, secrets_key):
        return None
    return body, ids, starts, ends


def patch_indexed(path: Path, data: dict[str, Any], key: str, order: list[str], tag: str = "") -> bool:
    """Rewrite `path` with `data`, whose `key` section holds only the entries that changed; every other
    entry is copied from the file as it is. `order` is the full section's ids, which must be those the
    file was written with. False, with nothing written, when the file or its offsets do not match."""
    secrets, secrets_key = _secrets()
    found = _load_offsets(path, key + tag, secrets_key)
    if found is None:
        return False
    (body_start, body_end), digest, starts, ends = found
    if digest != _digest(order) or len(starts) != len(order):
        return False
    ids = order
    position = {entry_id: i for i, entry_id in enumerate(ids)}
    enc = _encoder()
    changed: list[tuple[int, bytes]] = []
    for entry_id, entry in data[key].items():
        i = position.get(entry_id)
        if i is None:
            return False
        changed.append((i, _scrub(enc.encode(entry), secrets)))
    changed.sort(key=lambda item: item[0])
    names = list(data)
    at = names.index(key)
    head_parts = [b"{"]
    for i, name in enumerate(names[:at]):
        head_parts.append((b"," if i else b"") + enc.encode(name) + b":" + _scrub(enc.encode(data[name]), secrets))
    head_parts.append((b"," if at else b"") + enc.encode(key) + b":{")
    head = b"".join(head_parts)
    tail = b"".join([b"}"] + [b"," + enc.encode(name) + b":" + _scrub(enc.encode(data[name]), secrets)
                              for name in names[at + 1:]] + [b"}"])

    new_starts, new_ends = array("q"), array("q")
    shift = len(head) - body_start
    with _replacing(path) as fd:
        src = os.open(path, os.O_RDONLY)
        try:
            _write(fd, head)
            cursor, done = body_start, 0
            for i, blob in changed:
                _copy(src, fd, cursor, starts[i])
                new_starts.extend(s + shift for s in starts[done:i])
                new_ends.extend(e + shift for e in ends[done:i])
                _write(fd, blob)
                new_starts.append(starts[i] + shift)
                shift += len(blob) - (ends[i] - starts[i])
                new_ends.append(ends[i] + shift)
                cursor, done = ends[i], i + 1
            _copy(src, fd, cursor, body_end)
            new_starts.extend(s + shift for s in starts[done:])
            new_ends.extend(e + shift for e in ends[done:])
            new_body = (len(head), body_end + shift)
            _write(fd, tail)
        finally:
            os.close(src)
    _save_offsets(path, key + tag, secrets_key, new_body, ids, new_starts, new_ends)
    return True


def _write(fd: int, blob: bytes) -> None:
    view = memoryview(blob)
    while view:
        view = view[os.write(fd, view):]


def _copy(src: int, dst: int, start: int, end: int) -> None:
    """Append src[start:end] to dst: in the kernel where the filesystem allows, else through a buffer."""
    while start < end:
        try:
            n = os.copy_file_range(src, dst, end - start, start)
        except (OSError, AttributeError):
            n = 0
        if n <= 0:
            chunk = os.pread(src, min(end - start, 1 << 24), start)
            if not chunk:
                raise OSError(f"{start}..{end} is past the end of the file being patched")
            _write(dst, chunk)
            n = len(chunk)
        start += n
