"""Downloads decrypted on the fly, segment by segment, each verified before it is sent."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.crypto.documents import IntegrityError, decrypt_segments, open_metadata
from coop_platform.crypto.keyring import KeyError_
from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.documents.services.uploads import blob_store
from coop_platform.extensions import db, keyring


@dataclass
class OpenedVersion:
    filename: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class _Who:
    """Plain values of the actor: the stream outlives the request's ORM session."""

    id: int
    email: str
    state_id: int | None


@dataclass(frozen=True)
class _What:
    document_id: str
    owner_state_id: int | None
    version: int


def _integrity_failure(who: _Who, what: _What, reason: str) -> None:
    db.session.rollback()
    record("document.integrity_failure", actor=who, outcome="failure", object_type="document",
           object_id=what.document_id, state_id=what.owner_state_id,
           details={"version": what.version, "reason": reason})
    db.session.commit()


@dataclass(frozen=True)
class VersionDetails:
    filename: str
    content_type: str
    size: int


def version_details(version: DocumentVersion) -> VersionDetails | None:
    """The sealed original name, type and size of a version (None if they cannot be opened:
    the download then reports the integrity failure)."""
    vid = uuid.UUID(version.public_id)
    try:
        dek = keyring().decrypt("document", version.wrapped_dek, vid.bytes)
        meta = json.loads(open_metadata(dek, vid, base64.b64decode(version.sealed_meta)))
    except (IntegrityError, ValueError, KeyError_):
        return None
    return VersionDetails(meta["filename"], meta["content_type"], int(meta["size"]))


def open_version(user: User, document: Document, version: DocumentVersion) -> OpenedVersion:
    """Audit the download, then return the plaintext as a lazy stream. The first segment is
    decrypted here, so a blob that fails at once is refused before any header is sent; a
    later bad segment is audited and ends the stream (the declared length is then not met)."""
    vid = uuid.UUID(version.public_id)
    who = _Who(user.id, user.email, user.state_id)
    what = _What(document.public_id, document.owner_state_id, version.number)
    try:
        dek = keyring().decrypt("document", version.wrapped_dek, vid.bytes)
        meta = json.loads(open_metadata(dek, vid, base64.b64decode(version.sealed_meta)))
        handle = blob_store().open(version.blob_name)
    except (IntegrityError, OSError, ValueError) as exc:
        _integrity_failure(who, what, str(exc) or type(exc).__name__)
        raise IntegrityError(str(exc)) from exc
    segments = decrypt_segments(handle, dek, vid)
    try:
        first = next(segments)
    except (IntegrityError, StopIteration) as exc:
        handle.close()
        _integrity_failure(who, what, str(exc) or "empty blob")
        raise IntegrityError(str(exc)) from exc
    record("document.downloaded", actor=user, object_type="document",
           object_id=document.public_id, state_id=document.owner_state_id,
           details={"version": version.number})
    db.session.commit()

    def chunks() -> Iterator[bytes]:
        try:
            yield first
            yield from segments
        except IntegrityError as exc:
            _integrity_failure(who, what, str(exc))
            raise
        finally:
            handle.close()

    return OpenedVersion(meta["filename"], meta["content_type"], int(meta["size"]), chunks())
