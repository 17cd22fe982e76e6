"""Who may see a document, and how that changes without ever widening unseen.

- Before publication (draft, pending, returned) a change applies at once: the Secretariat
  reviews the audience with the document when it decides.
- On a published document, narrowing applies at once. Widening (more States, all States, the
  Court) becomes a sharing request that the Secretariat accepts or refuses from its queue; the
  approved audience stays in force meanwhile. A change that narrows some and widens other
  parts does both: the common part (the intersection) applies at once, the rest waits.
- A withdrawn or rejected document's sharing does not change.
- "All States Parties" or "Secretariat only" together with picked States is a contradiction,
  refused with a message (it used to publish to all silently).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ORGAN
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, Forbidden, ValidationFailed
from coop_platform.core.signals import sharing_changed
from coop_platform.documents.models import (
    AUDIENCES,
    Document,
    DocumentAudienceState,
    DocumentStatus,
    SharingRequest,
)
from coop_platform.documents.services.locks import lock
from coop_platform.documents.services.reasons import given_reason
from coop_platform.documents.services.visibility import (
    is_owner,
    may_moderate,
    moderated_clause,
    visibility_clause,
)
from coop_platform.extensions import db
from coop_platform.states.models import State

FROZEN_STATUSES = ("withdrawn", "rejected")


@dataclass(frozen=True)
class Audience:
    kind: str  # all_states | selected_states | secretariat
    state_ids: frozenset[int]
    court: bool

    def intersection(self, other: Audience) -> Audience:
        court = self.court and other.court
        if "secretariat" in (self.kind, other.kind):
            return Audience("secretariat", frozenset(), court)
        if self.kind == other.kind == "all_states":
            return Audience("all_states", frozenset(), court)
        if self.kind == "all_states":
            ids = other.state_ids
        elif other.kind == "all_states":
            ids = self.state_ids
        else:
            ids = self.state_ids & other.state_ids
        return Audience("selected_states" if ids else "secretariat", ids, court)

    def within(self, other: Audience) -> bool:
        """Everyone this audience reaches, `other` reaches too."""
        return self.intersection(other) == self

    def describe(self) -> dict[str, Any]:
        states = []
        if self.state_ids:
            states = sorted(db.session.scalars(select(State.iso3)
                                               .where(State.id.in_(self.state_ids))))
        return {"audience": self.kind, "states": states, "share_with_court": self.court}


@dataclass
class Sharing:
    audience: str
    states: list[str]
    share_with_court: bool


def resolve(sharing: Sharing, owner_state_id: int | None) -> Audience:
    """The audience a form asks for, or ValidationFailed saying what is wrong with it."""
    if sharing.audience not in AUDIENCES:
        raise ValidationFailed(_l("Choose one of the listed values."), field="audience")
    codes = sorted({c.strip().upper() for c in sharing.states if c.strip()})
    if sharing.audience != "selected_states":
        if codes:
            raise ValidationFailed(_l("States are picked only when sharing with selected "
                                      "States. Choose “Selected States”, or clear the picked "
                                      "States."), field="states")
        return Audience(sharing.audience, frozenset(), bool(sharing.share_with_court))
    if not codes:
        raise ValidationFailed(_l("Choose at least one State to share with."), field="states")
    states = list(db.session.scalars(select(State).where(State.iso3.in_(codes))))
    if len(states) != len(codes):
        raise ValidationFailed(_l("Unknown State code in the list."), field="states")
    ids = frozenset(s.id for s in states if s.id != owner_state_id)
    if not ids:
        raise ValidationFailed(_l("Choose at least one State other than your own."),
                               field="states")
    return Audience("selected_states", ids, bool(sharing.share_with_court))


def current(document: Document) -> Audience:
    return Audience(document.audience, frozenset(document.audience_state_ids),
                    bool(document.shared_with_court))


def requested(document: Document) -> Audience | None:
    pending = document.sharing_request
    if pending is None:
        return None
    return Audience(pending.audience, frozenset(json.loads(pending.state_ids)),
                    bool(pending.shared_with_court))


def _apply(document: Document, audience: Audience) -> None:
    document.audience = audience.kind
    document.shared_with_court = audience.court
    document.audience_rows = [DocumentAudienceState(state_id=i) for i in sorted(audience.state_ids)]
    document.updated_at = utcnow()


@dataclass(frozen=True)
class Outcome:
    applied: bool  # something changed at once
    requested: bool  # something waits for the Secretariat


def change(user: User, document: Document, sharing: Sharing) -> Outcome:
    """The owner State changes who may see its document (rules in the module docstring)."""
    if not is_owner(user, document):
        raise Forbidden(_l("Only the document's owner can change who sees it."))
    lock(document)
    if document.status in FROZEN_STATUSES:
        raise Conflict(_l("The sharing of a withdrawn or rejected document cannot change."))
    target = resolve(sharing, document.owner_state_id)
    before = current(document)
    waiting = requested(document)
    if target == before and waiting is None:
        raise ValidationFailed(_l("Nothing to change: the document is already shared that way."))
    # Before publication the Secretariat reviews the audience with the document; on its own
    # guidance it is the reviewer: either way the change applies at once.
    if document.status != DocumentStatus.PUBLISHED or document.owner_organ == SECRETARIAT_ORGAN:
        _apply(document, target)
        record("document.audience_changed", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"from": before.describe(), "to": target.describe()})
        db.session.commit()
        return Outcome(applied=True, requested=False)

    now = before.intersection(target)
    if now != before:
        _apply(document, now)
        record("document.audience_changed", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"from": before.describe(), "to": now.describe(), "narrowed": True})
    wider = target != now
    if waiting is not None and waiting != target:
        document.sharing_request = None
        db.session.flush()
        if not wider:
            record("document.sharing_request_cancelled", actor=user, object_type="document",
                   object_id=document.public_id, state_id=document.owner_state_id,
                   details={"requested": waiting.describe()})
    if wider and waiting != target:
        document.sharing_request = SharingRequest(
            audience=target.kind, shared_with_court=target.court,
            state_ids=json.dumps(sorted(target.state_ids)), requested_by_id=user.id,
            requested_at=utcnow())
        record("document.sharing_requested", actor=user, object_type="document",
               object_id=document.public_id, state_id=document.owner_state_id,
               details={"from": now.describe(), "to": target.describe()})
        sharing_changed.send(document, action="request", actor=user, reason="")
    db.session.commit()
    return Outcome(applied=now != before, requested=wider)


def may_decide(user: User, document: Document) -> bool:
    return may_moderate(user, document) and document.sharing_request is not None


def decide(user: User, document: Document, accept: bool, reason: str = "") -> None:
    """The Secretariat accepts or refuses a wider sharing (a refusal says why)."""
    if not may_moderate(user, document):
        raise Forbidden(_l("Your account may not decide on this document's sharing."))
    lock(document)
    target = requested(document)
    if target is None:
        raise Conflict(_l("No sharing change waits for a decision on this document."))
    reason = given_reason(reason, required=not accept)
    if accept and document.status != DocumentStatus.PUBLISHED:
        raise Conflict(_l("Only the sharing of a published document can be widened."))
    before = current(document)
    document.sharing_request = None
    if accept:
        _apply(document, target)
    record("document.sharing_accepted" if accept else "document.sharing_refused", actor=user,
           object_type="document", object_id=document.public_id,
           state_id=document.owner_state_id,
           details={"from": before.describe(), "to": target.describe(), "reason": reason})
    sharing_changed.send(document, action="accept" if accept else "refuse", actor=user,
                         reason=reason, before=before.describe(), after=target.describe())
    db.session.commit()


def drop_request(document: Document) -> None:
    """A document leaving publication takes its waiting request with it (the caller commits)."""
    if document.sharing_request is not None:
        document.sharing_request = None


def waiting_requests(user: User) -> list[Document]:
    """Published documents whose owner asked for a wider sharing, oldest request first."""
    return list(db.session.scalars(
        select(Document).join(SharingRequest, SharingRequest.document_id == Document.id)
        .where(visibility_clause(user), moderated_clause(user))
        .order_by(SharingRequest.requested_at, Document.id)))
