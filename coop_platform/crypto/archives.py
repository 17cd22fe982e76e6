"""Files as one archive encrypted to its keepers' public keys, and back again.

The format is age's (C2SP age v1, X25519 recipients) through pyrage, the maintained binding of
rage: nothing of the encryption is written here. Inside is a plain tar stream, so whoever
keeps the archive learns its size and nothing of what it holds — not how many files, not
their names. Both directions stream through a pipe: memory stays at a few blocks whatever the
size, and no plaintext archive is ever written to disk. age authenticates each 64 KiB chunk
before releasing it and the end of the stream, so a cut or altered archive fails to open.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

import pyrage
from pyrage import x25519

COPY_CHUNK = 1 << 20


class ArchiveError(RuntimeError):
    """The archive cannot be made or opened; the message says why."""


def recipients_from(texts: Iterable[str]) -> list[x25519.Recipient]:
    """age public keys ("age1…"), one per entry; blank entries and `#` comments skipped."""
    found = []
    for text in texts:
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            found.append(x25519.Recipient.from_str(text))
        except pyrage.RecipientError as error:
            raise ArchiveError(f"{text[:12]}… is not an age public key (age1…): {error}") from None
    return found


def identities_from(path: Path) -> list[x25519.Identity]:
    """The age identities ("AGE-SECRET-KEY-1…") of an identity file, as age-keygen writes."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ArchiveError(f"the identity file {path} cannot be read: {error}") from None
    found = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                found.append(x25519.Identity.from_str(line))
            except pyrage.IdentityError:
                raise ArchiveError(f"{path} holds a line that is not an age identity") from None
    if not found:
        raise ArchiveError(f"{path} holds no age identity (AGE-SECRET-KEY-1…)")
    return found


def new_identity() -> tuple[str, str]:
    """A new age identity and its public key, as text."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


class Adder(Protocol):
    def __call__(self, name: str, size: int, source: BinaryIO) -> str: ...


class _Hashing:
    """A reader that hashes and counts what passes through it."""

    def __init__(self, source: BinaryIO) -> None:
        self.source, self.digest, self.count = source, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.count += len(data)
        return data


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread)
            failures.append(error)

    thread = threading.Thread(target=run, name="archive", daemon=True)
    thread.start()
    return thread, failures


def seal(target: BinaryIO, recipients: list[x25519.Recipient],
         write_members: Callable[[Adder], None]) -> None:
    """Write to `target` the age encryption, to `recipients`, of a tar of the members that
    `write_members` adds; `add(name, size, source)` returns the member's SHA-256."""
    if not recipients:
        raise ArchiveError("an archive needs at least one recipient")
    read_end, write_end = os.pipe()

    def produce() -> None:
        with open(write_end, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|",
                                                         format=tarfile.PAX_FORMAT) as tar:
            def add(name: str, size: int, source: BinaryIO) -> str:
                info = tarfile.TarInfo(name)
                info.size, info.mode = size, 0o600
                hashing = _Hashing(source)
                tar.addfile(info, hashing)
                return hashing.digest.hexdigest()

            write_members(add)

    thread, failures = _in_thread(produce)
    try:
        with open(read_end, "rb") as pipe:
            pyrage.encrypt_io(pipe, target, recipients)
    finally:
        thread.join()
    if failures:  # the stream was cut short: the caller discards what was written
        raise ArchiveError(f"the archive could not be written: {failures[0]}") from failures[0]


def open_into(source: BinaryIO, identities: list[x25519.Identity], folder: Path,
              accept: Callable[[str], bool]) -> dict[str, str]:
    """Decrypt `source` with `identities` and write its members into `folder` (which must be
    private and empty); returns each member's SHA-256. Only regular files whose names
    `accept` allows are written, each once; anything else refuses the whole archive."""
    read_end, write_end = os.pipe()
    digests: dict[str, str] = {}

    def consume() -> None:
        with open(read_end, "rb") as pipe, tarfile.open(fileobj=pipe, mode="r|") as tar:
            for info in tar:
                if not info.isreg() or not accept(info.name) or info.name in digests:
                    raise ArchiveError(f"unexpected entry {info.name!r} in the archive")
                member = tar.extractfile(info)
                if member is None:
                    raise ArchiveError(f"entry {info.name!r} has no contents")
                path = folder / info.name
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                hashing = _Hashing(member)  # type: ignore[arg-type]
                with path.open("xb") as out:
                    while chunk := hashing.read(COPY_CHUNK):
                        out.write(chunk)
                digests[info.name] = hashing.digest.hexdigest()
            # The tar's end comes before its padding to a whole record: read to the end, or
            # the decryption still writing that padding meets a closed pipe.
            while pipe.read(COPY_CHUNK):
                pass

    thread, failures = _in_thread(consume)
    try:
        with open(write_end, "wb") as pipe:
            pyrage.decrypt_io(source, pipe, identities)
    except (pyrage.DecryptError, OSError) as error:
        thread.join()
        if failures and (isinstance(error, BrokenPipeError) or "Broken pipe" in str(error)):
            # The reader refused an entry and stopped reading (pyrage reports the closed pipe
            # as an OSError naming it): the reader's reason is the one to give.
            raise ArchiveError(str(failures[0])) from failures[0]
        raise ArchiveError(f"the archive cannot be opened with this identity, or it was "
                           f"altered: {error}") from error
    thread.join()
    if failures:
        raise ArchiveError(str(failures[0])) from failures[0]
    return digests
