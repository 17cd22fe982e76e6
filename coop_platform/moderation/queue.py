"""The moderation queue: pending documents and submitted questionnaire responses, oldest
first, through the visibility rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES
from coop_platform.core.clock import utcnow
from coop_platform.documents.models import DOCUMENT_TYPES, Document, DocumentStatus
from coop_platform.documents.services.visibility import visibility_clause
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
    return (select(Document).join(State, Document.owner_state_id == State.id)
            .where(visibility_clause(user), Document.status == DocumentStatus.PENDING))


def pending_documents(user: User, flt: QueueFilter) -> list[Document]:
    stmt = _pending(user)
    if flt.state:
        stmt = stmt.where(State.iso3 == flt.state.upper())
    if flt.group in REGIONAL_GROUPS:
        stmt = stmt.where(State.regional_group == flt.group)
    if flt.document_type in DOCUMENT_TYPES:
        stmt = stmt.where(Document.document_type == flt.document_type)
    if flt.older_than_days > 0:
        stmt = stmt.where(Document.submitted_at <= utcnow() - timedelta(days=flt.older_than_days))
    return list(db.session.scalars(stmt.order_by(Document.submitted_at.asc(), Document.id)))


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
    if user.role in SECRETARIAT_ROLES:
        for group, n in db.session.execute(
                select(State.regional_group, func.count(Response.id))
                .join(State, Response.state_id == State.id)
                .where(Response.status == ResponseStatus.SUBMITTED).group_by(State.regional_group)):
            counts[group] = counts.get(group, 0) + n
    counts["all"] = sum(counts.values())
    return counts
