"""Documents and versions: creation, new versions, sharing and the lifecycle.

Lifecycle: draft -> pending (submitted) -> published | returned | rejected; returned ->
pending (resubmitted); published -> withdrawn. Only published documents reach other States or
the Court (see visibility.py). Every change is audited in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import COURT_ORGANS, SECRETARIAT_ORGAN, SECRETARIAT_ROLES, Role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from coop_platform.core.signals import document_transitioned
from coop_platform.documents.models import (
    CLASSIFICATIONS,
    DOCUMENT_TYPES,
    LANGUAGES,
    STATUSES,
    TOPICS,
    Document,
    DocumentAudienceState,
    DocumentTopic,
    DocumentVersion,
)
from coop_platform.documents.services import sharing
from coop_platform.documents.services.locks import lock
from coop_platform.documents.services.reasons import given_reason
from coop_platform.documents.services.uploads import StoredUpload, UploadSink
from coop_platform.documents.services.visibility import (
    is_insider,
    is_owner,
    may_moderate,
    visible_documents,
)
from coop_platform.extensions import db
from coop_platform.states.models import State, by_display_name

T = TypeVar("T")

MAX_TITLE, MAX_SUMMARY = 200, 4000


@dataclass
class DocumentInput:
    title: str
    summary: str = ""
    document_type: str = "procedure"
    topics: list[str] = field(default_factory=list)
    language: str = "en"
    classification: str = "restricted"
    audience: str = "all_states"
    states: list[str] = field(default_factory=list)
    share_with_court: bool = False
    originator_control: bool = False


def _choice(value: str, allowed: Container[str], field_name: str) -> str:
    if value not in allowed:
        raise ValidationFailed(_l("Choose one of the listed values."), field=field_name)
    return value


def validate(data: DocumentInput, owner_state_id: int | None) -> list[State]:
    title = data.title.strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(_l("The title must have between 1 and %(n)d characters.",
                                  n=MAX_TITLE), field="title")
    if len(data.summary) > MAX_SUMMARY:
        raise ValidationFailed(_l("The summary must have at most %(n)d characters.",
                                  n=MAX_SUMMARY), field="summary")
    _choice(data.document_type, DOCUMENT_TYPES, "document_type")
    _choice(data.language, LANGUAGES, "language")
    _choice(data.classification, CLASSIFICATIONS, "classification")
    if not data.topics or any(t not in TOPICS for t in data.topics):
        raise ValidationFailed(_l("Choose at least one of the listed topics."), field="topics")
    audience = sharing.resolve(sharing.Sharing(data.audience, data.states,
                                               data.share_with_court), owner_state_id)
    return list(db.session.scalars(select(State).where(State.id.in_(audience.state_ids))))


def owner_for(user: User) -> tuple[int | None, str | None]:
    """Whose the documents the user uploads are: (State id, None) for a focal point; (None,
    organ) for the Secretariat and for a Court account whose organ is set."""
    if user.role == Role.FOCAL_POINT and user.state_id is not None:
        return user.state_id, None
    if user.role in SECRETARIAT_ROLES:
        return None, SECRETARIAT_ORGAN
    if user.role == Role.COURT:
        if user.court_organ in COURT_ORGANS:
            return None, user.court_organ
        raise Forbidden(_l("An administrator must first say which organ of the Court your "
                           "account belongs to: its documents are that organ's."))
    raise Forbidden(_l("Your account may not upload documents."))


def may_upload(user: User) -> bool:
    try:
        owner_for(user)
    except Forbidden:
        return False
    return True


def land(sink: UploadSink, build: Callable[[StoredUpload], T]) -> T:
    """Finish the upload, then commit the rows that name its blob; on any failure the blob
    goes too, so no version exists without its blob and no blob stays without its version."""
    stored = sink.finish()
    try:
        result = build(stored)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        sink.discard()
        raise
    sink.landed = True
    return result


def version_row(document: Document, stored: StoredUpload, user: User, number: int) -> DocumentVersion:
    return DocumentVersion(
        public_id=str(stored.version_id), document=document, number=number,
        blob_name=stored.blob_name, kek_id=stored.kek_id, wrapped_dek=stored.wrapped_dek,
        sealed_meta=stored.sealed_meta, blob_size=stored.blob_size, created_by_id=user.id,
    )


def create_document(user: User, data: DocumentInput, sink: UploadSink) -> Document:
    owner_state_id, owner_organ = owner_for(user)
    states = validate(data, owner_state_id)

    def build(stored: StoredUpload) -> Document:
        now = utcnow()
        document = Document(
            owner_state_id=owner_state_id, owner_organ=owner_organ, created_by_id=user.id,
            title=data.title.strip(),
            summary=data.summary.strip(), document_type=data.document_type,
            language=data.language, classification=data.classification,
            originator_control=data.originator_control, audience=data.audience,
            shared_with_court=data.share_with_court, status="draft", created_at=now,
            updated_at=now,
            topic_rows=[DocumentTopic(topic=t) for t in sorted(set(data.topics))],
            audience_rows=[DocumentAudienceState(state_id=s.id) for s in states],
        )
        db.session.add(document)
        db.session.add(version_row(document, stored, user, 1))
        db.session.flush()
        record("document.uploaded", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"version": 1, "size": stored.size, "type": stored.content_type,
                        "audience": data.audience, "states": sorted(s.iso3 for s in states)})
        return document

    return land(sink, build)


NEW_VERSION_STATUSES = ("draft", "returned")


def ensure_can_add_version(user: User, document: Document) -> None:
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can add a version."))
    if document.status not in NEW_VERSION_STATUSES:
        raise Conflict(_l("A new version can be added to a draft or a returned document only."))


MAX_VERSION_NOTE = 1000


def add_version(user: User, document: Document, sink: UploadSink,
                note: str = "") -> DocumentVersion:
    ensure_can_add_version(user, document)  # before the stream: nothing read if refused
    note = (note or "").strip()
    if not note or len(note) > MAX_VERSION_NOTE:
        raise ValidationFailed(_l("Say in a few words what changed (at most %(n)d characters).",
                                  n=MAX_VERSION_NOTE), field="note")

    def build(stored: StoredUpload) -> DocumentVersion:
        # The body took its time: check again under the lock (a submission may have landed).
        lock(document)
        ensure_can_add_version(user, document)
        number = (db.session.scalar(select(func.max(DocumentVersion.number))
                                    .where(DocumentVersion.document_id == document.id)) or 0) + 1
        version = version_row(document, stored, user, number)
        version.note = note
        db.session.add(version)
        document.updated_at = utcnow()
        record("document.version_added", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"version": number, "size": stored.size, "type": stored.content_type,
                        "note": note})
        return version

    return land(sink, build)


def _audience_states(document: Document) -> list[State]:
    ids = document.audience_state_ids
    if not ids:
        return []
    return by_display_name(db.session.scalars(select(State).where(State.id.in_(ids))))


@dataclass
class MetadataInput:
    title: str
    summary: str
    document_type: str
    topics: list[str]
    language: str
    classification: str
    originator_control: bool


EDITABLE_STATUSES = ("draft", "returned")


def ensure_can_edit(user: User, document: Document) -> None:
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can edit it."))
    if document.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A document can be edited while it is a draft or returned only."))


def edit_metadata(user: User, document: Document, data: MetadataInput) -> None:
    lock(document)
    ensure_can_edit(user, document)
    validate(DocumentInput(title=data.title, summary=data.summary,
                            document_type=data.document_type, topics=data.topics,
                            language=data.language, classification=data.classification,
                            audience="secretariat"), document.owner_state_id)
    before = snapshot(document)
    document.title = data.title.strip()
    document.summary = data.summary.strip()
    document.document_type = data.document_type
    document.language = data.language
    document.classification = data.classification
    document.originator_control = data.originator_control
    document.topic_rows = [DocumentTopic(topic=t) for t in sorted(set(data.topics))]
    changes = changes_between(before, snapshot(document))
    if not changes:
        raise ValidationFailed(_l("Nothing to change."))
    document.updated_at = utcnow()
    record("document.edited", actor=user, object_type="document", object_id=document.public_id,
           state_id=document.owner_state_id, details={"changes": changes})
    db.session.commit()


SNAPSHOT_FIELDS = ("title", "summary", "document_type", "topics", "language", "classification",
                   "originator_control", "audience", "states", "shared_with_court", "versions")


def snapshot(document: Document) -> dict[str, Any]:
    """The metadata a moderator decides on, in a comparable form."""
    return {
        "title": document.title, "summary": document.summary,
        "document_type": document.document_type, "topics": document.topics,
        "language": document.language, "classification": document.classification,
        "originator_control": document.originator_control, "audience": document.audience,
        "states": sorted(s.iso3 for s in _audience_states(document)),
        "shared_with_court": document.shared_with_court,
        "versions": max((v.number for v in document.versions), default=0),
    }


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: {"from": before.get(k), "to": after.get(k)} for k in SNAPSHOT_FIELDS
            if before.get(k) != after.get(k)}


def changes_since_review(document: Document) -> dict[str, Any] | None:
    """What changed since the Secretariat's last decision; None if it never decided."""
    if not document.reviewed_snapshot:
        return None
    return changes_between(json.loads(document.reviewed_snapshot), snapshot(document))


# -- lifecycle --------------------------------------------------------------------------------
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "pending",
    ("returned", "submit"): "pending",
    ("pending", "publish"): "published",
    ("pending", "return"): "returned",
    ("pending", "reject"): "rejected",
    ("pending", "recall"): "draft",
    ("published", "withdraw"): "withdrawn",
}
OWNER_ACTIONS = {"submit", "recall", "withdraw"}
SECRETARIAT_ACTIONS = {"publish", "return", "reject", "withdraw"}
NEEDS_REASON = {"return", "reject", "withdraw"}


ACTIONS = frozenset(a for _, a in TRANSITIONS)


def may_take(user: User, document: Document, action: str) -> bool:
    """Whether the user's role and State may ever take this action on this document."""
    return (action in OWNER_ACTIONS and is_owner(user, document)) or (
        action in SECRETARIAT_ACTIONS and may_moderate(user, document))


def allowed_actions(user: User, document: Document) -> list[str]:
    return [action for (status, action) in TRANSITIONS
            if status == document.status and may_take(user, document, action)]


def transition(user: User, document: Document, action: str, reason: str = "") -> Document:
    """Move the document along its lifecycle, or refuse: NotFound for an unknown action,
    Forbidden when the user may never take it on this document (whatever its status),
    Conflict when the document's status does not allow it now."""
    if action not in ACTIONS:
        raise NotFound(_l("Unknown action."))
    lock(document)
    if not may_take(user, document, action):
        raise Forbidden(_l("Your account may not do this to this document."))
    target = TRANSITIONS.get((document.status, action))
    if target is None:
        raise Conflict(_l("This cannot be done while the document is “%(status)s”.",
                          status=STATUSES[document.status]))
    reason = given_reason(reason, required=action in NEEDS_REASON)
    previous = document.status
    now = utcnow()
    document.status = target
    document.updated_at = now
    if target != "published":
        sharing.drop_request(document)
    if action == "submit":
        document.submitted_at = now
    elif action == "publish":
        document.published_at = document.revised_at = document.confirmed_at = now
        document.reminded_at = None
        # Readers get the version the Secretariat saw as current; earlier drafts' versions stay
        # with the owner State and the Secretariat.
        if document.current_version is not None:
            document.current_version.released_at = now
    if action in ("return", "reject"):
        document.moderator_comment = reason
    if action in ("publish", "return", "reject"):
        document.reviewed_snapshot = json.dumps(snapshot(document), sort_keys=True)
    record(f"document.{action}", actor=user, object_type="document",
           object_id=document.public_id, state_id=document.owner_state_id,
           details={"from": previous, "to": target, "reason": reason})
    document_transitioned.send(document, action=action, actor=user, reason=reason)
    db.session.commit()
    return document


# -- reading ----------------------------------------------------------------------------------
def get_document(user: User, public_id: str) -> Document:
    """The document if the user may see it; NotFound otherwise (existence is not confirmed)."""
    document = db.session.scalars(
        visible_documents(user).where(Document.public_id == public_id)
    ).one_or_none()
    if document is None:
        # The answer is the same 404 either way; the trail still shows who tried to reach a
        # document outside their reach.
        found = db.session.execute(select(Document.id, Document.owner_state_id)
                                   .where(Document.public_id == public_id)).first()
        if found is not None:
            record("document.denied", actor=user, outcome="denied", object_type="document",
                   object_id=public_id, state_id=found.owner_state_id)
            db.session.commit()
        raise NotFound(_l("No such document, or it is not shared with you."))
    return document


def versions_for(user: User, document: Document) -> list[DocumentVersion]:
    """The versions the reader may see and download, newest first: all of them for the owner
    State and the Secretariat; for everyone else those the Secretariat released."""
    if is_insider(user, document):
        return list(document.versions)
    return [v for v in document.versions if v.released_at is not None]


def get_version(user: User, document_id: str, version_id: str) -> tuple[Document, DocumentVersion]:
    document = get_document(user, document_id)
    version = next((v for v in versions_for(user, document) if v.public_id == version_id), None)
    if version is None:
        raise NotFound(_l("No such version."))
    return document, version


def record_view(user: User, document: Document) -> None:
    record("document.viewed", actor=user, object_type="document", object_id=document.public_id,
           state_id=document.owner_state_id)
    db.session.commit()


def audience_states(document: Document) -> list[State]:
    return _audience_states(document)
