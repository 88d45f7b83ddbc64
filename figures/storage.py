"""
Where figure files live, what they are called, and whether they are still what was stored.

Files are content-addressed: a file's name is the SHA-256 of its bytes (`ab/abcd...ef.webp`),
so a name never points at two different images and the same image is stored once. A file is
never changed or deleted by the application; anything that changes one behind its back is
caught by `file_matches`, which the serving view and the public page both ask.

Hashing a file on every request would cost a read of every byte, so the answer is kept per
process, keyed by what the file system says about the file: device, inode, size, mtime and
ctime (nanoseconds). Writing other bytes to the same path changes the ctime whatever an
attacker does to the mtime, and replacing the file changes the inode, so a kept answer is
never reused for other bytes; an unchanged file costs one `stat`. Storages without local paths
(object storage) are hashed on every check.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.urls import reverse

from figures.images import EXTENSIONS, EncodedImage

STORAGE_ALIAS = "figures"
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024
_CACHE_SIZE = 4096

_cache: OrderedDict[tuple[str, str], tuple[tuple[int, ...], str]] = OrderedDict()
_lock = threading.Lock()


def figure_storage() -> Storage:
    """The storage of figure files (`STORAGES["figures"]`)."""
    return storages[STORAGE_ALIAS]


def storage_name(sha256: str, fmt: str) -> str:
    """The name of the file with these bytes (`sha256`) in format `fmt` ("jpeg", ...)."""
    if not SHA256_RE.match(sha256) or fmt not in EXTENSIONS:
        raise ValueError(f"Not a figure file: {sha256!r} {fmt!r}")
    return f"{sha256[:2]}/{sha256}.{EXTENSIONS[fmt]}"


def public_url(sha256: str, fmt: str) -> str:
    """
    The address readers load the file from: the serving view, on the site's own origin or on
    `FIGURES_MEDIA_ORIGIN` when one is set (a CDN in front of this site, allowed by the CSP).
    """
    path = reverse("figures:file", kwargs={"sha256": sha256, "extension": EXTENSIONS[fmt]})
    return f"{settings.FIGURES_MEDIA_ORIGIN}{path}"


def _hash_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _stat_key(result: os.stat_result) -> tuple[int, ...]:
    return (
        result.st_dev,
        result.st_ino,
        result.st_size,
        result.st_mtime_ns,
        result.st_ctime_ns,
    )


def _remember(key: tuple[str, str], stat_key: tuple[int, ...], digest: str) -> None:
    with _lock:
        _cache[key] = (stat_key, digest)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def _known(key: tuple[str, str], stat_key: tuple[int, ...]) -> str | None:
    with _lock:
        entry = _cache.get(key)
    return entry[1] if entry is not None and entry[0] == stat_key else None


def _local_path(storage: Storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


def _digest_of_open(stream: IO[bytes], key: tuple[str, str]) -> str:
    """The SHA-256 of an open local file, from the cache when its stat is unchanged."""
    stat_key = _stat_key(os.fstat(stream.fileno()))
    digest = _known(key, stat_key)
    if digest is None:
        digest = _hash_stream(stream)
        _remember(key, stat_key, digest)
    return digest


def open_verified(sha256: str, fmt: str) -> IO[bytes] | None:
    """
    The stored file of `sha256`, opened and positioned at its start, if its bytes hash to
    `sha256`; else None (missing, or changed since it was stored).

    The hash is checked on the very file handle that is returned, so a file swapped between
    the check and the read cannot be served.
    """
    storage = figure_storage()
    name = storage_name(sha256, fmt)
    key = _cache_key(storage, name)
    try:
        stream = storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        return None
    try:
        if _local_path(storage, name) is not None:
            digest = _digest_of_open(stream, key)
        else:
            digest = _hash_stream(stream)
        if digest != sha256:
            stream.close()
            return None
        stream.seek(0)
        return stream
    except Exception:
        stream.close()
        raise


def _cache_key(storage: Storage, name: str) -> tuple[str, str]:
    return (f"{storage.__class__.__name__}:{getattr(storage, 'location', '')}", name)


def file_matches(sha256: str, fmt: str) -> bool:
    """
    Whether the stored file of `sha256` exists and still hashes to it: one `stat` while the
    file is unchanged since it was last hashed in this process.
    """
    storage = figure_storage()
    name = storage_name(sha256, fmt)
    path = _local_path(storage, name)
    if path is not None:
        try:
            known = _known(_cache_key(storage, name), _stat_key(os.stat(path)))
        except OSError:
            return False
        if known is not None:
            return known == sha256
    stream = open_verified(sha256, fmt)
    if stream is None:
        return False
    stream.close()
    return True


def store(item: EncodedImage) -> str:
    """
    Write `item` under its content address, unless a sound copy is already there; a copy that
    no longer hashes to its name is replaced by these (the right) bytes. Returns the name.
    """
    storage = figure_storage()
    name = storage_name(item.sha256, item.format)
    if storage.exists(name):
        if file_matches(item.sha256, item.format):
            return name
        storage.delete(name)
    saved = storage.save(name, ContentFile(item.data))
    if saved != name:  # pragma: no cover - another upload of the same bytes raced this one
        storage.delete(saved)
    return name
