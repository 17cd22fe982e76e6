"""Revisions of a published document: a new version, a new description, or both, proposed by
the owner State and moderated like an upload.

- A published or withdrawn document takes a revision; a withdrawn one is published again when
  its revision is accepted.
- One open revision per document (pending, or returned to the owner): the database refuses a
  second one even when two focal points send theirs at once, and the second is told.
- Until the Secretariat accepts it, readers other than the owner State and the Secretariat
  see what was published: the document row keeps the published description, the new version
  stays unreleased (`DocumentVersion.released_at`), and the proposal lives on the revision.
- Pending -> accepted | returned (with a reason) | rejected (with a reason); pending or
  returned -> recalled by the owner; returned -> pending when the owner sends it again.
Every step is audited in the same transaction and announced through `document_transitioned`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from coop_platform.core.i18n import format_when
from coop_platform.core.signals import document_transitioned
from coop_platform.documents.models import (
    STATUSES,
    Document,
    DocumentRevision,
    DocumentTopic,
    DocumentVersion,
    RevisionStatus,
)
from coop_platform.documents.services.documents import (
    MAX_VERSION_NOTE,
    DocumentInput,
    land,
    snapshot,
    validate,
    version_row,
)
from coop_platform.documents.services.locks import lock
from coop_platform.documents.services.reasons import given_reason
from coop_platform.documents.services.uploads import StoredUpload, UploadSink
from coop_platform.documents.services.visibility import is_owner, may_moderate
from coop_platform.extensions import db

REVISABLE_STATUSES = ("published", "withdrawn")
# The description a revision can change, as the snapshot names it.
DESCRIPTION_FIELDS = ("title", "summary", "document_type", "topics", "language",
                      "classification", "originator_control")
DECISIONS = ("accept", "return", "reject")
DECIDED = {"accept": "document.revision_accepted", "return": "document.revision_returned",
           "reject": "document.revision_rejected"}


@dataclass
class RevisionInput:
    note: str
    title: str
    summary: str = ""
    document_type: str = "procedure"
    topics: list[str] = field(default_factory=list)
    language: str = "en"
    classification: str = "restricted"
    originator_control: bool = False

    def description(self) -> dict[str, Any]:
        return {"title": self.title.strip(), "summary": self.summary.strip(),
                "document_type": self.document_type, "topics": sorted(set(self.topics)),
                "language": self.language, "classification": self.classification,
                "originator_control": bool(self.originator_control)}


def described(item: Document | DocumentRevision) -> dict[str, Any]:
    """A document's published description, or a revision's proposed one, comparable."""
    return {"title": item.title, "summary": item.summary, "document_type": item.document_type,
            "topics": item.topics, "language": item.language,
            "classification": item.classification,
            "originator_control": bool(item.originator_control)}


def proposed_changes(revision: DocumentRevision) -> dict[str, dict[str, Any]]:
    """What the revision would change in the published description."""
    before, after = described(revision.document), described(revision)
    return {k: {"from": before[k], "to": after[k]} for k in DESCRIPTION_FIELDS
            if before[k] != after[k]}


def input_from(revision: DocumentRevision | None, document: Document) -> RevisionInput:
    """What the revision form starts from: a returned revision's proposal, else what is
    published."""
    source: Document | DocumentRevision = revision or document
    return RevisionInput(note=revision.note if revision else "", **described(source))


def _waiting(document: Document) -> DocumentRevision | None:
    revision = document.open_revision
    return revision if revision is not None and revision.status == RevisionStatus.PENDING \
        else None


def ensure_can_revise(user: User, document: Document, waiting_ok: bool = False) -> None:
    """Refuse a revision the user may not send now. `waiting_ok` leaves out the check of a
    revision already waiting: the form's page checks it after the body arrived, so that the
    second of two focal points gets their words back with the reason."""
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can revise it."))
    if document.status not in REVISABLE_STATUSES:
        raise Conflict(_l("A revision can be proposed for a published or withdrawn document "
                          "only; this one is “%(status)s”.", status=STATUSES[document.status]))
    waiting = _waiting(document)
    if waiting is not None and not waiting_ok:
        raise Conflict(_l(
            "A revision sent on %(when)s waits for the Secretariat's decision: take it back, "
            "or wait for the decision, before proposing another.",
            when=format_when(waiting.submitted_at)))


def _validated(data: RevisionInput, document: Document) -> dict[str, Any]:
    note = (data.note or "").strip()
    if not note or len(note) > MAX_VERSION_NOTE:
        raise ValidationFailed(_l("Say in a few words what changed (at most %(n)d characters).",
                                  n=MAX_VERSION_NOTE), field="note")
    description = data.description()
    validate(DocumentInput(title=description["title"], summary=description["summary"],
                           document_type=data.document_type, topics=description["topics"],
                           language=data.language, classification=data.classification,
                           audience="secretariat"), document.owner_state_id)
    return description


def propose(user: User, document: Document, data: RevisionInput,
            sink: UploadSink | None = None) -> DocumentRevision:
    """Send a revision (or a returned one again) to the Secretariat. The file, when one came,
    is already encrypted in `sink`; it lands with the revision or not at all."""
    ensure_can_revise(user, document)
    description = _validated(data, document)
    note = data.note.strip()

    def build(stored: StoredUpload | None) -> DocumentRevision:
        # The body took its time: check again under the lock (another revision may have come).
        lock(document)
        ensure_can_revise(user, document)
        returned = document.open_revision
        kept = returned.version if returned is not None else None
        if stored is None and kept is None and description == described(document) \
                and document.status == "published":
            raise ValidationFailed(_l("Nothing to revise: upload a new version, or change the "
                                      "description."))
        now = utcnow()
        version = kept
        if stored is not None:
            number = (db.session.scalar(select(func.max(DocumentVersion.number)).where(
                DocumentVersion.document_id == document.id)) or 0) + 1
            version = version_row(document, stored, user, number)
            version.note = note
            db.session.add(version)
        elif version is not None:
            version.note = note
        revision = returned or DocumentRevision(document=document, created_by_id=user.id,
                                                created_at=now)
        revision.status = RevisionStatus.PENDING
        revision.title, revision.summary = description["title"], description["summary"]
        revision.document_type = description["document_type"]
        revision.language = description["language"]
        revision.classification = description["classification"]
        revision.originator_control = description["originator_control"]
        revision.topics_json = json.dumps(description["topics"])
        revision.version = version
        revision.note = note
        revision.moderator_comment = ""
        revision.submitted_at = now
        db.session.add(revision)
        try:
            db.session.flush()
        except IntegrityError:
            # Another focal point's revision landed between the check and this write.
            db.session.rollback()
            raise Conflict(_l("Another focal point of your State sent a revision of this "
                              "document a moment ago: it waits for the Secretariat. Yours was "
                              "not kept; read theirs on the document's page.")) from None
        record("document.revision_submitted", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"revision": revision.public_id,
                        "version": version.number if version is not None else None,
                        "fields": sorted(proposed_changes(revision)), "note": note,
                        "again": returned is not None})
        document_transitioned.send(document, action="submit_revision", actor=user, reason="",
                                   revision=revision)
        return revision

    if sink is not None:
        return land(sink, build)
    try:
        revision = build(None)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return revision


def recall(user: User, document: Document) -> DocumentRevision:
    """The owner State takes back its pending or returned revision; its file, if any, stays
    with the owner State and the Secretariat, never released."""
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can take back a revision."))
    lock(document)
    revision = document.open_revision
    if revision is None:
        raise Conflict(_l("No revision of this document waits or was returned."))
    revision.status = RevisionStatus.RECALLED
    revision.decided_at = utcnow()
    record("document.revision_recalled", actor=user, object_type="document",
           object_id=document.public_id, state_id=document.owner_state_id,
           details={"revision": revision.public_id})
    db.session.commit()
    return revision


def may_decide(user: User, document: Document) -> bool:
    return may_moderate(user, document) and _waiting(document) is not None


def decide(user: User, document: Document, action: str, reason: str = "") -> DocumentRevision:
    """The Secretariat accepts, returns (with a reason) or rejects (with a reason) the pending
    revision. On acceptance the proposal becomes what everyone who may see the document
    reads, and its version becomes current for them."""
    if action not in DECISIONS:
        raise NotFound(_l("Unknown action."))
    if not may_moderate(user, document):
        raise Forbidden(_l("Your account may not decide on this document's revision."))
    lock(document)
    revision = _waiting(document)
    if revision is None:
        raise Conflict(_l("No revision of this document waits for a decision."))
    reason = given_reason(reason, required=action != "accept")
    now = utcnow()
    revision.decided_at = now
    details: dict[str, Any] = {"revision": revision.public_id, "reason": reason}
    if action == "accept":
        details["fields"] = sorted(proposed_changes(revision))
        _apply(document, revision, now)
        details["version"] = revision.version.number if revision.version else None
        details["note"] = revision.note
        revision.status = RevisionStatus.ACCEPTED
    else:
        revision.status = (RevisionStatus.RETURNED if action == "return"
                           else RevisionStatus.REJECTED)
        revision.moderator_comment = reason
    record(DECIDED[action], actor=user, object_type="document", object_id=document.public_id,
           state_id=document.owner_state_id, details=details)
    document_transitioned.send(document, action=f"{action}_revision", actor=user,
                               reason=reason, revision=revision)
    db.session.commit()
    return revision


def _apply(document: Document, revision: DocumentRevision, now: datetime) -> None:
    document.title, document.summary = revision.title, revision.summary
    document.document_type, document.language = revision.document_type, revision.language
    document.classification = revision.classification
    document.originator_control = revision.originator_control
    if document.topics != revision.topics:
        document.topic_rows = [DocumentTopic(topic=t) for t in revision.topics]
    if revision.version is not None:
        revision.version.released_at = now
    if document.status == "withdrawn":
        document.status = "published"
    document.revised_at = document.confirmed_at = document.updated_at = now
    document.reminded_at = None
    document.reviewed_snapshot = json.dumps(snapshot(document), sort_keys=True)


def latest_accepted(document: Document) -> DocumentRevision | None:
    """The revision that last changed what readers see (its note is the "Updated" line)."""
    return next((r for r in document.revisions if r.status == RevisionStatus.ACCEPTED), None)
