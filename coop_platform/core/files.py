"""Files that must be whole or absent: written under a temporary name, fsynced, renamed, and the
folder fsynced, so a crash at any instant leaves either the old state or the new one — never
an empty or half-written file under the final name (a kill during `keys rotate` once left an
empty active key)."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from contextlib import suppress
from pathlib import Path

from coop_platform.core import faults

TEMPORARY_PREFIX = ".tmp-"


def fsync_directory(path: Path) -> None:
    """Make a rename or a new name in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def free_bytes(path: Path | str) -> int:
    """Free space on the filesystem that holds `path`, or would once it is made."""
    folder = Path(path)
    while not folder.exists():
        folder = folder.parent
    return shutil.disk_usage(folder).free


def write_whole(path: Path | str, data: bytes, *, mode: int = 0o600,
                replace: bool = True) -> None:
    """Write `data` to `path` all at once or not at all. With `replace=False` an existing
    file is never touched (FileExistsError), as with O_EXCL: the new name appears by a hard
    link, which fails rather than overwrite."""
    path = Path(path)
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data[:len(data) // 2])
            fh.flush()
            faults.point("files.half_written")
            fh.write(data[len(data) // 2:])
            fh.flush()
            os.fsync(fh.fileno())
        faults.point("files.before_rename")
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
            os.unlink(temporary)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def remove_temporaries(folder: Path | str, older_than_seconds: float = 60) -> int:
    """Remove what a crash left of `write_whole` in `folder` (leaving alone, for a minute,
    what a running writer may be about to rename); returns how many."""
    folder = Path(folder)
    removed = 0
    limit = time.time() - older_than_seconds
    if folder.is_dir():
        for leftover in folder.glob(f"{TEMPORARY_PREFIX}*"):
            with suppress(FileNotFoundError):
                if leftover.stat().st_mtime <= limit:
                    leftover.unlink()
                    removed += 1
    return removed
