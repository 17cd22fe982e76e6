"""The moderation queue: pending items, oldest first, through the visibility rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.documents.models import DOCUMENT_TYPES, Document
from coop_platform.documents.services.visibility import visibility_clause
from coop_platform.extensions import db
from coop_platform.states.models import REGIONAL_GROUPS, State


@dataclass
class QueueFilter:
    state: str = ""
    group: str = ""
    document_type: str = ""
    older_than_days: int = 0


def _pending(user: User):
    return (select(Document).join(State, Document.owner_state_id == State.id)
            .where(visibility_clause(user), Document.status == "pending"))


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


def pending_counts(user: User) -> dict[str, int]:
    """Pending items per regional group, and in all."""
    rows = db.session.execute(
        _pending(user).with_only_columns(State.regional_group, func.count(Document.id))
        .group_by(State.regional_group)
    )
    counts = {group: n for group, n in rows}
    counts["all"] = sum(counts.values())
    return counts
