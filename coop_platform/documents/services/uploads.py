"""Uploads encrypted while they arrive: no whole-file buffer, no plaintext temporary file.

`UploadSink` is what the request parser writes the file part into. It counts bytes against the
limit, sniffs the type from the content, and encrypts segment by segment into a pending blob.
Nothing is visible until `finish()` renamed the blob and the caller committed the version row;
any failure before that discards the pending blob (and `documents cleanup` removes what a
crash left behind).
"""

from __future__ import annotations

import base64
import errno
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from coop_platform.core import faults
from coop_platform.core.exceptions import DomainError, ValidationFailed
from coop_platform.crypto.documents import (
    RandomAccessPlaintext,
    SegmentEncryptor,
    new_dek,
    seal_metadata,
)
from coop_platform.documents import packages
from coop_platform.documents.sniff import CONTENT_TYPES, Sniffer, Verdict
from coop_platform.documents.storage import BlobStore, LocalBlobStore, PendingBlob
from coop_platform.extensions import keyring

MAX_FILENAME = 200


class UploadTooLarge(DomainError):
    status_code = 413


class StorageFull(DomainError):
    """The blob store has no room: the upload is refused whole (507 Insufficient Storage)."""

    status_code = 507


_FULL = {errno.ENOSPC, errno.EDQUOT}
MB = 1024 * 1024


def _storage_full() -> StorageFull:
    return StorageFull(_l("The platform has no room left to store this file, so nothing was "
                          "kept. Please try again later, or write to the Secretariat."),
                       field="file")


def ensure_room(expected_bytes: int | None, store: BlobStore | None = None) -> None:
    """Refuse, before a byte is streamed, an upload of a known size that would leave the blob
    store under SPC_BLOB_MIN_FREE_MB (the database often shares the disk)."""
    if not expected_bytes:
        return
    store = store or blob_store()
    reserve = current_app.config["BLOB_MIN_FREE_MB"] * MB
    if store.free_bytes() - expected_bytes < reserve:
        raise _storage_full()


@contextmanager
def _full_disk_refused(sink: UploadSink) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        if error.errno not in _FULL:
            raise
        sink.discard()
        raise _storage_full() from error


def blob_store() -> BlobStore:
    return LocalBlobStore(current_app.config["BLOB_DIR"])


def clean_filename(name: str | None) -> str:
    """A display name only (never a path): last path component, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILENAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 \
            else name[:MAX_FILENAME]
    return name or "document"


@dataclass
class StoredUpload:
    version_id: uuid.UUID
    blob_name: str
    blob_size: int
    kek_id: str
    wrapped_dek: str
    sealed_meta: str
    filename: str
    content_type: str
    size: int


class UploadSink:
    def __init__(self, store: BlobStore | None = None, max_bytes: int | None = None) -> None:
        self.store = store or blob_store()
        self.max_bytes = max_bytes or current_app.config["MAX_UPLOAD_BYTES"]
        self.version_id = uuid.uuid4()
        self._dek = new_dek()
        self.kek_id = keyring().active_id("document")
        self.wrapped_dek = keyring().encrypt("document", self._dek, self.version_id.bytes)
        self._pending: PendingBlob | None = None
        self._encryptor: SegmentEncryptor | None = None
        self._sniffer = Sniffer()
        self.filename: str | None = None
        self.nothing_chosen = True
        self.blob_name: str | None = None
        self.landed = False  # set once the version row that names the blob is committed
        self.size = 0

    # -- what the request parser calls ---------------------------------------------------------
    def __call__(self, filename: str | None = None, content_type: str | None = None) -> UploadSink:
        if self._pending is not None:
            raise ValidationFailed(_l("Send one file at a time."), field="file")
        # A browser sends an empty part with no name when no file was chosen.
        self.nothing_chosen = not (filename or "").strip()
        self.filename = clean_filename(filename)
        with _full_disk_refused(self):
            self._pending = self.store.create()
            self._encryptor = SegmentEncryptor(self._pending, self._dek, self.version_id,
                                               self.kek_id)  # writes the header
        return self

    def write(self, data: bytes) -> int:
        if self._encryptor is None:
            raise ValueError("no file part started")
        self.size += len(data)
        if self.size > self.max_bytes:
            raise UploadTooLarge(_l("The file is larger than %(mb)d MiB.",
                                    mb=self.max_bytes // (1024 * 1024)), field="file")
        self._sniffer.feed(data)
        with _full_disk_refused(self):
            self._encryptor.write(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the parser rewinds finished parts; there is nothing to read back here

    def close(self) -> None:
        """Request teardown: whatever did not land is discarded."""
        self.discard()

    # -- what the service calls ----------------------------------------------------------------
    @property
    def received(self) -> bool:
        return self._pending is not None

    def finish(self) -> StoredUpload:
        """Check the type, write the final segment, make the blob durable and visible."""
        if self._pending is None or self._encryptor is None or (
                self.nothing_chosen and self.size == 0):
            raise ValidationFailed(_l("Choose a file to upload."), field="file")
        verdict = self._sniffer.verdict()
        with _full_disk_refused(self):
            self._encryptor.finish()
        if verdict.kind == "zip":
            kind = self._inspect_package()
            verdict = Verdict(kind, CONTENT_TYPES[kind])
        name = self.store.new_name()
        with _full_disk_refused(self):
            self._pending.commit(name)
        self.blob_name = name
        faults.point("blobs.committed")  # renamed, its version row not yet committed
        meta = json.dumps({"filename": self.filename, "content_type": verdict.content_type,
                           "size": self.size}).encode()
        return StoredUpload(
            version_id=self.version_id,
            blob_name=name,
            blob_size=self.store.size(name),
            kek_id=self.kek_id,
            wrapped_dek=self.wrapped_dek,
            sealed_meta=base64.b64encode(seal_metadata(self._dek, self.version_id, meta)).decode(),
            filename=self.filename or "document",
            content_type=verdict.content_type,
            size=self.size,
        )

    def _inspect_package(self) -> str:
        """Read the package back through decryption (never as plaintext on disk)."""
        assert self._pending is not None  # noqa: S101 (landed implies stored)
        with self._pending.reader() as raw:
            return packages.inspect(io.BufferedReader(
                RandomAccessPlaintext(raw, self._dek, self.version_id), 64 * 1024))

    def discard(self) -> None:
        """Undo everything: the pending blob, or the committed blob whose row never landed."""
        if self.landed:
            return
        if self._pending is not None:
            self._pending.discard()
        if self.blob_name is not None:
            self.store.delete(self.blob_name)
            self.blob_name = None
