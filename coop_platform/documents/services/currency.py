"""Documents that say they are current: each published document shows when its State last
confirmed it (publication and accepted revisions count); its focal points confirm in one
click; the Secretariat lists those neither updated nor confirmed for 12 months; the owners are
reminded at eleven months by the reminder mechanism answers use (core/reminders.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select, update

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core import reminders
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import Conflict, Forbidden
from coop_platform.core.rows import changed_rows
from coop_platform.core.signals import documents_need_confirmation
from coop_platform.documents.models import Document, DocumentStatus
from coop_platform.documents.services.visibility import is_owner
from coop_platform.extensions import db
from coop_platform.states.models import State


def is_stale(document: Document, now: datetime | None = None) -> bool:
    return (document.status == DocumentStatus.PUBLISHED and document.confirmed_at is not None
            and as_utc(document.confirmed_at) < (now or utcnow()) - reminders.STALE_AFTER)


def stale_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """Published, and neither updated nor confirmed for 12 months."""
    return (Document.status == DocumentStatus.PUBLISHED) & \
        (Document.confirmed_at < (now or utcnow()) - reminders.STALE_AFTER)


def confirm(user: User, document: Document) -> None:
    """The owner State says the published document is still current."""
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can confirm it."))
    now = utcnow()
    # One statement checks and writes: a withdrawal at the same moment wins.
    if not changed_rows(update(Document).where(
            Document.id == document.id, Document.status == DocumentStatus.PUBLISHED)
            .values(confirmed_at=now, reminded_at=None)):
        db.session.rollback()
        raise Conflict(_l("Only a published document can be confirmed current."))
    record("document.confirmed", actor=user, object_type="document",
           object_id=document.public_id, state_id=document.owner_state_id)
    db.session.commit()


def remind(now: datetime | None = None) -> int:
    """Tell the owners (focal points of each active State, the Secretariat, a Court organ's
    accounts) of published documents not confirmed for eleven months, once a month at most
    per document. Returns the number of owners reminded."""
    now = now or utcnow()
    due = db.session.execute(
        select(Document.id, Document.owner_state_id, Document.owner_organ)
        .outerjoin(State, Document.owner_state_id == State.id)
        .where(Document.status == DocumentStatus.PUBLISHED,
               or_(Document.owner_state_id.is_(None), State.active.is_(True)),
               Document.confirmed_at < now - reminders.REMIND_AFTER)
        .order_by(Document.id)).all()
    db.session.rollback()
    claimed: dict[tuple[int | None, str | None], list[int]] = defaultdict(list)
    for document_id, state_id, organ in due:
        if reminders.claim(Document, document_id, now):
            claimed[(state_id, organ)].append(document_id)
    for (state_id, organ), ids in claimed.items():
        state = db.session.get_one(State, state_id) if state_id is not None else None
        record("document.reminded", object_type="state" if state else "organ",
               object_id=state.iso3 if state else str(organ), state_id=state_id,
               details={"documents": len(ids)})
        documents_need_confirmation.send(state, organ=organ, count=len(ids))
    db.session.commit()
    return len(claimed)
