"""Lists, history and access log, all through the visibility rule."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import lazyload

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.core import objects
from coop_platform.core.authz import COURT_ORGANS, SECRETARIAT_ORGAN, SECRETARIAT_ROLES
from coop_platform.core.pages import paginate, paginate_ids
from coop_platform.documents.models import (
    CLASSIFICATIONS,
    DOCUMENT_TYPES,
    LANGUAGES,
    STATUSES,
    TOPICS,
    Document,
    DocumentTopic,
)
from coop_platform.documents.services.currency import stale_clause
from coop_platform.documents.services.visibility import (
    is_insider,
    is_owner,
    visible_documents,
)
from coop_platform.extensions import db
from coop_platform.states.models import REGIONAL_GROUPS, State, by_display_name, sort_key

# What a reader calls the last update: an accepted revision or the publication; before
# publication (only its State and the Secretariat see it), its last change.
LAST_UPDATE = func.coalesce(Document.revised_at, Document.updated_at)
SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "updated": (LAST_UPDATE.desc(), Document.id.desc()),
    "state": (State.name.asc(), LAST_UPDATE.desc()),
    # Oldest confirmation first: what most needs a look (drafts, never confirmed, last).
    "confirmed": (Document.confirmed_at.is_(None), Document.confirmed_at.asc(),
                  Document.id.asc()),
}
EVENT_LABELS = {
    "document.uploaded": _l("Uploaded"),
    "document.version_added": _l("New version uploaded"),
    "document.submit": _l("Submitted for moderation"),
    "document.publish": _l("Published"),
    "document.return": _l("Returned for revision"),
    "document.reject": _l("Rejected"),
    "document.withdraw": _l("Withdrawn"),
    "document.audience_changed": _l("Sharing changed"),
    "document.edited": _l("Description edited"),
    "document.viewed": _l("Viewed"),
    "document.downloaded": _l("Downloaded"),
    "document.integrity_failure": _l("Integrity check failed"),
    "document.denied": _l("Refused: not shared with this person"),
    "request.denied": _l("Refused: not allowed or not valid"),
    "document.sharing_requested": _l("Wider sharing asked for"),
    "document.sharing_accepted": _l("Wider sharing accepted"),
    "document.sharing_refused": _l("Wider sharing refused"),
    "document.sharing_request_cancelled": _l("Wider sharing no longer asked for"),
    "document.revision_submitted": _l("Revision sent for moderation"),
    "document.revision_accepted": _l("Updated: revision accepted"),
    "document.revision_returned": _l("Revision returned"),
    "document.revision_rejected": _l("Revision rejected"),
    "document.revision_recalled": _l("Revision taken back"),
    "document.confirmed": _l("Confirmed current"),
}
LIFECYCLE_ACTIONS = ("document.uploaded", "document.version_added", "document.submit",
                     "document.publish", "document.return", "document.reject",
                     "document.withdraw", "document.audience_changed", "document.edited",
                     "document.sharing_requested", "document.sharing_accepted",
                     "document.sharing_refused", "document.sharing_request_cancelled",
                     "document.revision_submitted", "document.revision_accepted",
                     "document.revision_returned", "document.revision_rejected",
                     "document.revision_recalled", "document.confirmed")
# What every reader of a published document may know of its history.
PUBLIC_ACTIONS = ("document.publish", "document.revision_accepted", "document.confirmed")
SNAPSHOT_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "document_type": _l("Type"),
    "topics": _l("Topics"), "language": _l("Language"), "classification": _l("Handling label"),
    "originator_control": _l("Originator control"), "audience": _l("Who may see it"),
    "states": _l("States to share with"), "shared_with_court": _l("Also share with the Court"),
    "versions": _l("Versions"),
}
ACCESS_ACTIONS = ("document.viewed", "document.downloaded", "document.integrity_failure",
                  "document.denied", "request.denied")


@dataclass
class DocumentFilter:
    state: str = ""
    group: str = ""
    document_type: str = ""
    topic: str = ""
    language: str = ""
    classification: str = ""
    status: str = ""
    stale: bool = False  # published, neither updated nor confirmed for 12 months
    publisher: str = ""  # state | secretariat | court (PUBLISHERS)
    sort: str = "updated"


def list_documents(user: User, flt: DocumentFilter, page: int,
                   per_page: int = 25) -> Pagination:
    stmt = visible_documents(user).outerjoin(State, Document.owner_state_id == State.id)
    if flt.publisher == "state":
        stmt = stmt.where(Document.owner_organ.is_(None))
    elif flt.publisher == "secretariat":
        stmt = stmt.where(Document.owner_organ == SECRETARIAT_ORGAN)
    elif flt.publisher == "court":
        stmt = stmt.where(Document.owner_organ.in_(COURT_ORGANS))
    if flt.state:
        stmt = stmt.where(State.iso3 == flt.state.upper()[:3])
    if flt.group in REGIONAL_GROUPS:
        stmt = stmt.where(State.regional_group == flt.group)
    if flt.document_type in DOCUMENT_TYPES:
        stmt = stmt.where(Document.document_type == flt.document_type)
    if flt.language in LANGUAGES:
        stmt = stmt.where(Document.language == flt.language)
    if flt.classification in CLASSIFICATIONS:
        stmt = stmt.where(Document.classification == flt.classification)
    if flt.status in STATUSES:
        stmt = stmt.where(Document.status == flt.status)
    if flt.topic in TOPICS:
        stmt = stmt.where(Document.topic_rows.any(DocumentTopic.topic == flt.topic))
    if flt.stale:
        stmt = stmt.where(stale_clause())
    # The list shows none of a document's collections: four selectin queries saved per page.
    stmt = stmt.options(lazyload(Document.topic_rows), lazyload(Document.audience_rows),
                        lazyload(Document.versions), lazyload(Document.sharing_request),
                        lazyload(Document.revisions))
    if flt.sort == "title":
        return _by_title(stmt, page, per_page)
    return paginate(stmt.order_by(*SORTS.get(flt.sort, SORTS["updated"])), page, per_page)


def _by_title(stmt: Select[Any], page: int, per_page: int) -> Pagination:
    """Titles are sealed: the reader's matching documents are opened and sorted here
    (alphabetical, accents aside), then the page's rows loaded."""
    field = Document.title
    rows = db.session.execute(stmt.with_only_columns(Document.id, Document._title)).all()
    ordered = [row_id for _, row_id in sorted(
        (sort_key(field.open(token, row_id)), row_id) for row_id, token in rows)]

    def load(ids: list[int]) -> list[Document]:
        found = {d.id: d for d in db.session.scalars(stmt.where(Document.id.in_(ids)))}
        return [found[i] for i in ids]

    return paginate_ids(ordered, load, page, per_page)


def _events_of(document: Document, actions: Iterable[str]) -> Select[AuditEvent]:
    """The document's audit records of these kinds, newest first (a statement)."""
    return (select(AuditEvent)
            .where(AuditEvent.object_type == "document",
                   AuditEvent.object_id == document.public_id, AuditEvent.action.in_(actions))
            .order_by(AuditEvent.seq.desc()))


def history(user: User, document: Document) -> list[tuple[AuditEvent, str]]:
    """What the reader may know of how the document came to be, newest first: for insiders
    (is_insider) uploads, versions, submissions, decisions and sharing changes with their
    reasons; for everyone else only when it was published."""
    insider = is_insider(user, document)
    actions = LIFECYCLE_ACTIONS if insider else PUBLIC_ACTIONS
    entries = []
    for event in db.session.scalars(_events_of(document, actions)):
        reason = json.loads(event.details or "{}").get("reason", "") if insider else ""
        entries.append((event, reason if isinstance(reason, str) else ""))
    return entries


def downloader_ids(document: Document) -> set[int]:
    """Who downloaded a version of the document (their accounts' ids)."""
    return set(db.session.scalars(
        select(AuditEvent.actor_id).distinct()
        .where(AuditEvent.object_type == "document",
               AuditEvent.object_id == document.public_id,
               AuditEvent.action == "document.downloaded", AuditEvent.actor_id.is_not(None))))


def access_log_page(user: User, document: Document, page: int, hide_owner_state: bool,
                    per_page: int = 25) -> Pagination | None:
    """Who viewed or downloaded the document, a page at a time, optionally without the owner
    State's own accesses: for its own State and the Secretariat only (None for others)."""
    if not (is_owner(user, document) or user.role in SECRETARIAT_ROLES):
        return None
    stmt = _events_of(document, ACCESS_ACTIONS)
    if hide_owner_state and document.owner_state_id is not None:
        stmt = stmt.where(or_(AuditEvent.actor_id.is_(None),
                              ~AuditEvent.actor_id.in_(select(User.id).where(
                                  User.state_id == document.owner_state_id))))
    return paginate(stmt, page, per_page)


def _document_names(reader: Any, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Titles of the documents the reader may see, for the audit trail's object column."""
    rows = db.session.scalars(visible_documents(reader).where(Document.public_id.in_(ids)))
    return {d.public_id: (d.title, url_for("documents.detail", public_id=d.public_id))
            for d in rows}


objects.register("document", _document_names)


def states_for_choice() -> list[State]:
    return by_display_name(db.session.scalars(select(State).where(State.active.is_(True))))
