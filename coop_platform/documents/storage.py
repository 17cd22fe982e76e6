"""Blob storage behind a small interface; the local filesystem today, an object store later.

A blob is written under a temporary name, fsynced, then renamed into a fan-out folder, so a
reader never sees half a blob. Names are random identifiers chosen by the platform, never a
user's filename.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, Protocol

from coop_platform.core import faults
from coop_platform.core.files import free_bytes

_NAME_RE = re.compile(r"^[0-9a-f]{32}$")
TMP_SUFFIX = ".part"


class BlobStore(Protocol):
    def new_name(self) -> str: ...
    def create(self) -> PendingBlob: ...
    def open(self, name: str) -> BinaryIO: ...
    def size(self, name: str) -> int: ...
    def modified_at(self, name: str) -> float: ...
    def delete(self, name: str) -> None: ...
    def names(self) -> Iterator[str]: ...
    def remove_stale_temporaries(self, older_than_seconds: float) -> int: ...
    def free_bytes(self) -> int: ...


class PendingBlob:
    """A blob being written: `commit(name)` makes it visible, `discard()` removes it."""

    def __init__(self, store: LocalBlobStore, path: Path) -> None:
        self._store = store
        self.path = path
        self._fh: BinaryIO | None = path.open("xb")

    def _open_handle(self) -> BinaryIO:
        if self._fh is None:
            raise ValueError("blob already committed or discarded")
        return self._fh

    def write(self, data: bytes) -> int:
        faults.point("blobs.write")
        return self._open_handle().write(data)

    def reader(self) -> BinaryIO:
        """What was written so far, read back (the caller closes it)."""
        self._open_handle().flush()
        return self.path.open("rb")

    def commit(self, name: str) -> None:
        fh = self._open_handle()
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        self._fh = None
        final = self._store.path_for(name)
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(self.path, final)
        _fsync_dir(final.parent)

    def discard(self) -> None:
        if self._fh is not None:
            # On a full disk, closing flushes what is buffered and fails: the file goes anyway.
            with suppress(OSError):
                self._fh.close()
            self._fh = None
        self.path.unlink(missing_ok=True)


class LocalBlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def _ensure(self) -> None:
        self.tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def new_name(self) -> str:
        return secrets.token_hex(16)

    def path_for(self, name: str) -> Path:
        if not _NAME_RE.match(name):
            raise ValueError("invalid blob name")
        return self.root / name[:2] / name[2:4] / name

    def create(self) -> PendingBlob:
        self._ensure()
        return PendingBlob(self, self.tmp / f"{secrets.token_hex(16)}{TMP_SUFFIX}")

    def open(self, name: str) -> BinaryIO:
        return self.path_for(name).open("rb")

    def size(self, name: str) -> int:
        return self.path_for(name).stat().st_size

    def modified_at(self, name: str) -> float:
        return self.path_for(name).stat().st_mtime

    def delete(self, name: str) -> None:
        self.path_for(name).unlink(missing_ok=True)

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for first in self.root.iterdir():
            if first.name == "tmp" or not first.is_dir():
                continue
            for second in first.iterdir():
                for path in second.iterdir():
                    if _NAME_RE.match(path.name):
                        yield path.name

    def free_bytes(self) -> int:
        """Free space on the filesystem that holds the blobs (or would)."""
        return free_bytes(self.root)

    def remove_stale_temporaries(self, older_than_seconds: float) -> int:
        if not self.tmp.is_dir():
            return 0
        limit = time.time() - older_than_seconds
        removed = 0
        for path in self.tmp.iterdir():
            if path.name.endswith(TMP_SUFFIX) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
