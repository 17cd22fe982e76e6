"""Text of document files for the index: extracted after commit, outside any request.

A version's text is read by `flask --app wsgi search work` (a loop next to the mail sender):
the file is decrypted segment by segment straight into a pipe to a child process
(`extract_worker`) that runs under limits on address space and CPU time and is killed at its
deadline, so a hostile file exhausts only that child. Nothing is written to disk in clear; the
text comes back on a pipe, capped, and is stored sealed under the "search" key. A failure
marks the version's text failed (with a reason the document page shows) and never touches the
upload: the document is still found by its metadata. Confidential documents' files are never
read.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import resource
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update

from coop_platform.core import faults
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.rows import changed_rows
from coop_platform.crypto.documents import IntegrityError, decrypt_segments, open_metadata
from coop_platform.crypto.keyring import KeyError_
from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.documents.services.uploads import blob_store
from coop_platform.extensions import db, keyring
from coop_platform.search.models import DocumentText, TextStatus

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("extract_worker.py")
MAX_TEXT_CHARS = 2_000_000
MEMORY_LIMIT = 768 * 1024 * 1024
MAX_ATTEMPTS = 3


class ExtractionFailed(Exception):
    pass


def seal_text(text: str, version_public_id: str) -> str:
    return keyring().encrypt("search", text.encode("utf-8"), uuid.UUID(version_public_id).bytes)


def open_text(token: str, version_public_id: str) -> str:
    return keyring().decrypt("search", token, uuid.UUID(version_public_id).bytes).decode("utf-8")


def _format(filename: str, content_type: str, head: bytes) -> str | None:
    """The reader for a file, from what it is (its first bytes), not only what it says."""
    name = filename.lower()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04"):
        if name.endswith(".docx"):
            return "docx"
        if name.endswith(".odt"):
            return "odt"
        return None  # spreadsheets and other packages: found by their metadata
    if name.endswith((".txt", ".text", ".md", ".csv")) or content_type.startswith("text/plain"):
        return "txt" if b"\x00" not in head else None
    return None


def _limits(seconds: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it has nothing to write to disk
    return apply


def extract_text(fmt: str, chunks, seconds: int) -> str:
    """Run the child on the plaintext chunks; the text, or ExtractionFailed."""
    read_end, write_end = os.pipe()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    # Run as a file, isolated (-I): it imports only the readers, not the application.
    proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, "-I", str(WORKER), fmt, str(read_end), str(MAX_TEXT_CHARS)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=(read_end,), preexec_fn=_limits(seconds), env=env,  # noqa: PLW1509
        cwd="/")
    os.close(read_end)
    problems: list[BaseException] = []

    def feed() -> None:
        try:
            with os.fdopen(write_end, "wb") as sink:
                for chunk in chunks:
                    sink.write(chunk)
        except BrokenPipeError:
            pass  # the child gave up or was killed; its exit says why
        except BaseException as exc:  # an integrity failure of the blob
            problems.append(exc)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        feeder.join(5)
        raise ExtractionFailed(f"took longer than {seconds} s") from None
    feeder.join(5)
    if problems:
        raise ExtractionFailed(f"the file could not be decrypted: {type(problems[0]).__name__}")
    if proc.returncode != 0:
        last = (err.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        if proc.returncode < 0:
            last = f"stopped by signal {-proc.returncode} (time or memory limit)"
        raise ExtractionFailed(last[:150])
    return out.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str = ""
    text: str = ""
    retry: bool = False  # the blob store may have been briefly unreachable


def _read_version(version: DocumentVersion, seconds: int) -> Outcome:
    vid = uuid.UUID(version.public_id)
    try:
        dek = keyring().decrypt("document", version.wrapped_dek, vid.bytes)
        meta = json.loads(open_metadata(dek, vid, base64.b64decode(version.sealed_meta)))
        handle = blob_store().open(version.blob_name)
    except OSError as exc:
        return Outcome("failed", f"the file could not be opened: {type(exc).__name__}",
                       retry=True)
    except (IntegrityError, ValueError, KeyError_) as exc:
        return Outcome("failed", f"the file could not be opened: {type(exc).__name__}")
    with handle:
        segments = decrypt_segments(handle, dek, vid)
        try:
            first = next(segments, b"")
        except IntegrityError:
            return Outcome("failed", "the file could not be decrypted")
        fmt = _format(meta["filename"], meta["content_type"], first[:16])
        if fmt is None:
            return Outcome("skipped", "not a format whose text is read (PDF, DOCX, ODT, RTF, "
                                      "TXT)")

        def chunks():
            yield first
            yield from segments

        try:
            text = extract_text(fmt, chunks(), seconds)
        except ExtractionFailed as exc:
            return Outcome("failed", str(exc))
    text = text.replace("\x00", " ").strip()
    if not text:
        return Outcome("failed", "the file holds no text that could be read (a scan?)")
    return Outcome("done", text=text[:MAX_TEXT_CHARS])


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["SEARCH_TEXT_LEASE_SECONDS"])


def _claim() -> DocumentText | None:
    now = utcnow()
    candidate = db.session.scalars(
        select(DocumentText).where(
            DocumentText.status == TextStatus.PENDING,
            or_(DocumentText.claimed_until.is_(None), DocumentText.claimed_until < now))
        .order_by(DocumentText.updated_at).limit(1)).first()
    if candidate is None:
        return None
    claimed = changed_rows(
        update(DocumentText).where(
            DocumentText.version_id == candidate.version_id, DocumentText.status == TextStatus.PENDING,
            or_(DocumentText.claimed_until.is_(None), DocumentText.claimed_until < now))
        .values(claimed_until=now + _lease(), attempts=DocumentText.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed != 1:
        return None
    db.session.refresh(candidate)
    return candidate


@contextmanager
def _heartbeat(version_id: int):
    """Keep the lease of the file being read while the reader works, renewed from a thread
    with its own connection: a worker killed mid-file lets another take it up within one
    lease (a minute), not after the five minutes a fixed lease had to allow for slow files."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lease = _lease()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease.total_seconds() / 3):
            try:
                with app.app_context(), db.engine.begin() as connection:
                    connection.execute(update(DocumentText).where(
                        DocumentText.version_id == version_id,
                        DocumentText.status == TextStatus.PENDING).values(
                        claimed_until=utcnow() + lease))
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.warning("search: the lease of a file being read could not be renewed")

    thread = threading.Thread(target=beat, name="search-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def _finish(version_id: int, outcome: Outcome, version_public_id: str) -> None:
    # Through the unit of work: the index follows a row that changed (search/changes.py).
    row = db.session.get(DocumentText, version_id)
    if row is None:  # its document was deleted while the file was read
        db.session.rollback()
        return
    row.status = outcome.status
    row.reason = outcome.reason[:200]
    row.sealed_text = seal_text(outcome.text, version_public_id) if outcome.text else None
    row.chars = len(outcome.text)
    row.claimed_until = None
    row.updated_at = utcnow()
    db.session.commit()


def run_extractions(limit: int = 20) -> int:
    """Read up to `limit` pending files; returns how many were finished (done or failed)."""
    seconds = int(current_app.config.get("SEARCH_EXTRACT_SECONDS", 30))
    finished = 0
    for _ in range(limit):
        row = _claim()
        if row is None:
            break
        version_id, attempts = row.version_id, row.attempts
        version = db.session.get_one(DocumentVersion, row.version_id)
        document = db.session.get_one(Document, row.document_id)
        confidential = document.classification == "confidential"
        # Reading may take seconds: no transaction (on SQLite, no write lock) is held
        # meanwhile; the version's columns stay loaded on the detached object.
        db.session.expunge(version)
        db.session.rollback()
        if confidential:
            outcome = Outcome("skipped", "confidential: its content is never indexed")
        else:
            with _heartbeat(version_id):
                faults.point("search.extract.read")
                outcome = _read_version(version, seconds)
        if outcome.retry and attempts < MAX_ATTEMPTS:
            db.session.execute(update(DocumentText).where(
                DocumentText.version_id == version_id).values(
                claimed_until=utcnow() + timedelta(minutes=attempts)))
            db.session.commit()
            continue
        _finish(version_id, outcome, version.public_id)
        finished += 1
    return finished


def waiting() -> tuple[int, float | None]:
    """Files whose text is waiting to be read, and the age in seconds of the oldest."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(DocumentText.updated_at))
        .where(DocumentText.status == TextStatus.PENDING)).one()
    return count, None if oldest is None else max(
        0.0, (utcnow() - as_utc(oldest)).total_seconds())
