"""Documents that say they are current: each published document shows when its State last
confirmed it (publication and accepted revisions count); its focal points confirm in one
click; the Secretariat lists those neither updated nor confirmed for 12 months; the owners are
reminded at eleven months by the reminder mechanism answers use (core/reminders.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update

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
        raise Forbidden(_l("Only focal points of the owner State can confirm the document."))
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
    """Tell the focal points of each active State whose published documents were not
    confirmed for eleven months, once a month at most per document. Returns the number of
    States reminded."""
    now = now or utcnow()
    due = db.session.execute(
        select(Document.id, Document.owner_state_id)
        .join(State, Document.owner_state_id == State.id)
        .where(Document.status == DocumentStatus.PUBLISHED, State.active.is_(True),
               Document.confirmed_at < now - reminders.REMIND_AFTER)
        .order_by(Document.owner_state_id, Document.id)).all()
    db.session.rollback()
    claimed: dict[int, list[int]] = defaultdict(list)
    for document_id, state_id in due:
        if reminders.claim(Document, document_id, now):
            claimed[state_id].append(document_id)
    for state_id, ids in claimed.items():
        state = db.session.get_one(State, state_id)
        record("document.reminded", object_type="state", object_id=state.iso3,
               state_id=state_id, details={"documents": len(ids)})
        documents_need_confirmation.send(state, count=len(ids))
    db.session.commit()
    return len(claimed)
