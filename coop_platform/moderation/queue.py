"""The moderation queue: pending documents, revisions of published ones, and submitted
questionnaire responses, oldest first, through the visibility rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES
from coop_platform.core.clock import utcnow
from coop_platform.documents.models import (
    DOCUMENT_TYPES,
    Document,
    DocumentRevision,
    DocumentStatus,
    RevisionStatus,
)
from coop_platform.documents.services.visibility import moderated_clause, visibility_clause
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Response, ResponseStatus
from coop_platform.states.models import REGIONAL_GROUPS, State


@dataclass
class QueueFilter:
    state: str = ""
    group: str = ""
    document_type: str = ""
    older_than_days: int = 0


def _pending(user: User):
    return (select(Document).outerjoin(State, Document.owner_state_id == State.id)
            .where(visibility_clause(user), Document.status == DocumentStatus.PENDING))


def _filtered(stmt, flt: QueueFilter, submitted_at):
    """The queue's filters on a statement over documents (joined to their State)."""
    if flt.state:
        stmt = stmt.where(State.iso3 == flt.state.upper())
    if flt.group in REGIONAL_GROUPS:
        stmt = stmt.where(State.regional_group == flt.group)
    if flt.document_type in DOCUMENT_TYPES:
        stmt = stmt.where(Document.document_type == flt.document_type)
    if flt.older_than_days > 0:
        stmt = stmt.where(submitted_at <= utcnow() - timedelta(days=flt.older_than_days))
    return stmt


def pending_documents(user: User, flt: QueueFilter) -> list[Document]:
    stmt = _filtered(_pending(user), flt, Document.submitted_at)
    return list(db.session.scalars(stmt.order_by(Document.submitted_at.asc(), Document.id)))


def _revisions(user: User):
    return (select(DocumentRevision, Document)
            .join(Document, DocumentRevision.document_id == Document.id)
            .outerjoin(State, Document.owner_state_id == State.id)
            .where(visibility_clause(user), DocumentRevision.status == RevisionStatus.PENDING,
                   moderated_clause(user)))


def pending_revisions(user: User, flt: QueueFilter) -> list[tuple[DocumentRevision, Document]]:
    """Revisions of published or withdrawn documents, in the same queue, oldest first."""
    stmt = _filtered(_revisions(user), flt, DocumentRevision.submitted_at)
    return [(r, d) for r, d in db.session.execute(
        stmt.order_by(DocumentRevision.submitted_at.asc(), DocumentRevision.id))]


def pending_responses(user: User, flt: QueueFilter) -> list[Response]:
    """Questionnaire responses submitted for review (the Secretariat only), oldest first. A
    document-type filter leaves them out."""
    if user.role not in SECRETARIAT_ROLES or flt.document_type:
        return []
    stmt = (select(Response).join(State, Response.state_id == State.id)
            .where(Response.status == ResponseStatus.SUBMITTED))
    if flt.state:
        stmt = stmt.where(State.iso3 == flt.state.upper())
    if flt.group in REGIONAL_GROUPS:
        stmt = stmt.where(State.regional_group == flt.group)
    if flt.older_than_days > 0:
        stmt = stmt.where(Response.submitted_at <= utcnow() - timedelta(days=flt.older_than_days))
    return list(db.session.scalars(stmt.order_by(Response.submitted_at.asc(), Response.id)))


def pending_counts(user: User) -> dict[str, int]:
    """Pending items (documents and responses) per regional group, and in all."""
    rows = db.session.execute(
        _pending(user).with_only_columns(State.regional_group, func.count(Document.id))
        .group_by(State.regional_group)
    )
    counts = {group: n for group, n in rows}
    for group, n in db.session.execute(
            _revisions(user).with_only_columns(State.regional_group,
                                               func.count(DocumentRevision.id))
            .group_by(State.regional_group)):
        counts[group] = counts.get(group, 0) + n
    if user.role in SECRETARIAT_ROLES:
        for group, n in db.session.execute(
                select(State.regional_group, func.count(Response.id))
                .join(State, Response.state_id == State.id)
                .where(Response.status == ResponseStatus.SUBMITTED).group_by(State.regional_group)):
            counts[group] = counts.get(group, 0) + n
    counts["all"] = sum(counts.values())
    return counts
