"""Getting an upstream project's manifest: a local file, an HTTP(S) URL or an object-store URL, with what
was fetched kept under target/mesh/ beside its ETag (or mtime), so an unchanged manifest is not
downloaded again and a parse whose upstreams did not change stays a partial parse."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mason.errors import MasonError, ProjectError
from mason.mesh.config import MESH_FILE, Upstream

CACHE_DIR = "mesh"
_STORES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
           "abfss": "adlfs"}


class ManifestMissing(ProjectError):
    """An upstream project's manifest could not be found or read."""


@dataclass(frozen=True, slots=True)
class Fetched:
    name: str
    location: str  # for messages: the path or the URL (without its query string)
    path: Path  # a local file holding the manifest
    identity: str  # changes when the manifest does


def fetch(upstream: Upstream, project_root: Path, cache_root: Path, warn: Any = None) -> Fetched:
    """The upstream's manifest as a local file, fetched (or revalidated) if it is remote."""
    source = upstream.manifest
    if not upstream.is_remote:
        path = Path(source[len("file://"):] if source.startswith("file://") else source).expanduser()
        if not path.is_absolute():
            path = (project_root / path).resolve()
        if path.is_dir():
            path = path / "manifest.json"
        try:
            st = path.stat()
        except OSError:
            raise _missing(upstream, str(path), "there is no such file") from None
        return Fetched(upstream.name, str(path), path, f"file:{path}:{st.st_mtime_ns}:{st.st_size}")
    cache = cache_root / CACHE_DIR
    copy = cache / f"{upstream.name}.manifest.json"
    meta_path = cache / f"{upstream.name}.meta.json"
    meta = _read_meta(meta_path, source)
    shown = source.split("?", 1)[0]
    if meta is not None and copy.is_file() and time.time() - float(meta.get("fetched_at", 0)) < upstream.cache_for:
        return Fetched(upstream.name, shown, copy, _identity(meta))
    scheme = source.split("://", 1)[0].lower()
    try:
        if scheme in ("http", "https"):
            fresh = _http(upstream, meta if copy.is_file() else None, copy)
        else:
            fresh = _object_store(upstream, scheme, meta if copy.is_file() else None, copy)
    except ManifestMissing:
        raise
    except MasonError as exc:
        if copy.is_file() and meta is not None:  # offline: the last copy, said loudly
            if warn is not None:
                warn(f"could not fetch {upstream.name}'s manifest ({exc.message}); using the copy fetched "
                     f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(float(meta.get('fetched_at', 0))))}")
            return Fetched(upstream.name, shown, copy, _identity(meta))
        raise
    fresh["source"] = source
    fresh["fetched_at"] = time.time()
    cache.mkdir(parents=True, exist_ok=True)
    tmp = meta_path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(fresh), encoding="utf-8")
    tmp.replace(meta_path)
    return Fetched(upstream.name, shown, copy, _identity(fresh))


def _identity(meta: dict[str, Any]) -> str:
    return "remote:" + str(meta.get("etag") or meta.get("modified") or meta.get("sha256") or "")


def _read_meta(path: Path, source: str) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("source") == source else None


def _save(copy: Path, body: bytes) -> str:
    copy.parent.mkdir(parents=True, exist_ok=True)
    tmp = copy.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(body)
    tmp.replace(copy)
    return hashlib.sha256(body).hexdigest()


def _http(upstream: Upstream, meta: dict[str, Any] | None, copy: Path) -> dict[str, Any]:
    headers = {"Accept": "application/json", **upstream.headers}
    if meta is not None:
        if meta.get("etag"):
            headers["If-None-Match"] = str(meta["etag"])
        if meta.get("modified"):
            headers["If-Modified-Since"] = str(meta["modified"])
    request = urllib.request.Request(upstream.manifest, headers=headers)
    shown = upstream.manifest.split("?", 1)[0]
    try:
        with urllib.request.urlopen(request, timeout=upstream.timeout) as response:  # noqa: S310 (http/https only)
            body = response.read()
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and meta is not None:
            return {k: meta.get(k) for k in ("etag", "modified", "sha256")}
        if exc.code == 404:
            raise _missing(upstream, shown, "the server answered 404 Not Found") from None
        if exc.code in (401, 403):
            raise ManifestMissing(f"{upstream.name}'s manifest at {shown}: the server answered {exc.code} "
                                  f"{exc.reason}", upstream.declared_at,
                                  f"give credentials in {MESH_FILE}: headers: {{Authorization: \"Bearer "
                                  "{{ secret('...') }}\"}} (docs/mesh.md)") from None
        raise ProjectError(f"fetching {upstream.name}'s manifest from {shown}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProjectError(f"fetching {upstream.name}'s manifest from {shown}: {reason}") from None
    digest = _save(copy, body)
    return {"etag": etag, "modified": modified, "sha256": digest}


def _object_store(upstream: Upstream, scheme: str, meta: dict[str, Any] | None, copy: Path) -> dict[str, Any]:
    try:
        import fsspec  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        needs = _STORES.get(scheme)
        raise ProjectError(f"reading {upstream.name}'s manifest from {scheme}:// needs fsspec"
                           + (f" and {needs}" if needs else "") + ", which are not installed",
                           upstream.declared_at,
                           f"pip install fsspec {needs or '<the filesystem package for ' + scheme + '://>'} "
                           "in Mason's environment, or point mason_mesh.yml at a path or an http(s) URL") from None
    try:
        fs, path = fsspec.core.url_to_fs(upstream.manifest)
        info = fs.info(path)
    except ImportError as exc:
        raise ProjectError(f"reading {upstream.name}'s manifest from {scheme}://: {exc}", upstream.declared_at,
                           f"pip install {_STORES.get(scheme, 'the filesystem package for ' + scheme + '://')}") from None
    except FileNotFoundError:
        raise _missing(upstream, upstream.manifest, "there is no such object") from None
    except Exception as exc:  # the store's own errors (credentials, network)
        raise ProjectError(f"reading {upstream.name}'s manifest from {upstream.manifest}: {exc}") from None
    etag = info.get("ETag") or info.get("etag") or info.get("md5Hash") or info.get("generation")
    modified = info.get("LastModified") or info.get("mtime") or info.get("updated") or info.get("last_modified")
    etag, modified = (str(etag) if etag else None), (str(modified) if modified else None)
    if meta is not None and (etag or modified) and meta.get("etag") == etag and meta.get("modified") == modified:
        return {k: meta.get(k) for k in ("etag", "modified", "sha256")}
    try:
        with fs.open(path, "rb") as handle:
            body = handle.read()
    except Exception as exc:
        raise ProjectError(f"reading {upstream.name}'s manifest from {upstream.manifest}: {exc}") from None
    digest = _save(copy, body)
    return {"etag": etag, "modified": modified, "sha256": digest}


def _missing(upstream: Upstream, where: str, why: str) -> ManifestMissing:
    return ManifestMissing(
        f"project {upstream.name} (declared in dependencies.yml) has no manifest at {where}: {why}",
        upstream.declared_at,
        f"build or parse {upstream.name} first (it writes target/manifest.json), or say where its production "
        f"manifest is in {MESH_FILE}: `projects: {{{upstream.name}: {{manifest: <path or URL>}}}}` (docs/mesh.md)")
