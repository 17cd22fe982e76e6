"""Revisions of published documents made through the services, for the tests of pages that
show them: a document published through its lifecycle, a revision proposed and decided."""

from __future__ import annotations

from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.documents.models import Document
from coop_platform.documents.services import revisions
from coop_platform.documents.services.documents import transition
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from tests.support import builders

OLD_TITLE, NEW_TITLE = "Freezing of assets: procedure of 2024", "Freezing of assets: 2026 text"
OLD_SUMMARY = "The prosecutor orders the freezing within 48 hours."
NEW_SUMMARY = "The investigating judge orders the freezing within 24 hours."
OLD_BYTES, NEW_BYTES = b"Procedure of 2024: 48 hours.", b"Procedure of 2026: 24 hours."


def _sink(content: bytes) -> UploadSink:
    sink = UploadSink()
    sink(filename="procedure.txt")
    sink.write(content)
    return sink


def published(app, owner_id: int, moderator_id: int, **fields) -> str:
    """A document published through the lifecycle: submitted by its State, published by the
    Secretariat."""
    doc_id = builders.document(app, owner_id, "draft", text=OLD_BYTES.decode(),
                               **{"title": OLD_TITLE, "summary": OLD_SUMMARY, **fields})
    with app.app_context():
        document = document_of(doc_id)
        transition(db.session.get_one(User, owner_id), document, "submit")
        transition(db.session.get_one(User, moderator_id), document, "publish")
        db.session.remove()
    return doc_id


def document_of(doc_id: str) -> Document:
    return db.session.scalars(select(Document).where(Document.public_id == doc_id)).one()


def propose(app, user_id: int, doc_id: str, content: bytes | None = NEW_BYTES,
            title: str = NEW_TITLE, summary: str = NEW_SUMMARY,
            note: str = "Law of 3 March 2026: the judge orders it.") -> dict:
    with app.app_context():
        document = document_of(doc_id)
        revision = revisions.propose(
            db.session.get_one(User, user_id), document,
            revisions.RevisionInput(note=note, title=title, summary=summary,
                                    document_type=document.document_type,
                                    topics=document.topics, language=document.language,
                                    classification=document.classification),
            _sink(content) if content is not None else None)
        made = {"revision": revision.public_id,
                "version": revision.version.public_id if revision.version else None,
                "old": document.versions[-1].public_id}
        db.session.remove()
        return made


def decide(app, user_id: int, doc_id: str, action: str, reason: str = "") -> None:
    with app.app_context():
        user = db.session.get_one(User, user_id)
        if action == "recall":
            revisions.recall(user, document_of(doc_id))
        else:
            revisions.decide(user, document_of(doc_id), action, reason)
        db.session.remove()


