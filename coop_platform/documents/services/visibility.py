"""The one visibility rule for documents (and through them, their versions).

Used by the list, the detail page, every download, and later search and export. Anything it
does not return answers 404.

- Secretariat (moderator, admin): every document that left draft, and its own guidance.
- Focal point: every document of its own State; other States' documents and guidance once
  published, while the owner State is active, when shared with all States Parties or with
  its State.
- Court liaison: published documents shared with the Court, while the owner State is active;
  and every document of its own organ (guidance it proposes).
- Anyone else: nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ORGAN, SECRETARIAT_ROLES, Role
from coop_platform.documents.models import Document, DocumentAudienceState, DocumentStatus
from coop_platform.states.models import State


def _owner_active() -> ColumnElement[bool]:
    return or_(Document.owner_state_id.is_(None),
               Document.owner_state.has(State.active.is_(True)))


def visibility_clause(user: User | None) -> ColumnElement[bool]:
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role in SECRETARIAT_ROLES:
        # Its own guidance from the first draft; everyone else's once submitted.
        return or_(Document.status != DocumentStatus.DRAFT,
                   Document.owner_organ == SECRETARIAT_ORGAN)
    owner_active = _owner_active()
    if user.role == Role.COURT:
        shared = and_(Document.status == DocumentStatus.PUBLISHED,
                      Document.shared_with_court.is_(True), owner_active)
        organ = getattr(user, "court_organ", None)
        return or_(shared, Document.owner_organ == organ) if organ else shared
    if user.role == Role.FOCAL_POINT and user.state_id is not None:
        shared_with_my_state = exists().where(
            DocumentAudienceState.document_id == Document.id,
            DocumentAudienceState.state_id == user.state_id,
        )
        peers = and_(
            Document.status == DocumentStatus.PUBLISHED,
            owner_active,
            or_(Document.audience == "all_states",
                and_(Document.audience == "selected_states", shared_with_my_state)),
        )
        return or_(Document.owner_state_id == user.state_id, peers)
    return false()


def visible_documents(user: Any) -> Select[Document]:
    return select(Document).where(visibility_clause(user))


def is_insider(user: User, document: Document) -> bool:
    """Sees how the document came to be (moderation history with names and reasons, every
    recipient State, who uploaded each version): its own State and the Secretariat. Other
    readers see that and when it was published, and by which State."""
    return user.role in SECRETARIAT_ROLES or is_owner(user, document)


def insider_clause(user: User | None) -> ColumnElement[bool]:
    """`is_insider` as SQL, for the documents' rows."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role in SECRETARIAT_ROLES:
        return true()
    if user.role == Role.FOCAL_POINT and user.state_id is not None:
        return Document.owner_state_id == user.state_id
    organ = getattr(user, "court_organ", None)
    if user.role == Role.COURT and organ:
        return Document.owner_organ == str(organ)
    return false()


def is_owner(user: User, document: Document) -> bool:
    """May act for the owner (upload versions, submit, revise, withdraw, change the audience):
    a focal point of the owner State; for guidance, the Secretariat's moderators and admins,
    or the Court accounts of the owner organ."""
    if document.owner_organ == SECRETARIAT_ORGAN:
        return user.role in SECRETARIAT_ROLES
    if document.owner_organ is not None:
        return user.role == Role.COURT and getattr(user, "court_organ", None) == \
            document.owner_organ
    return user.role == Role.FOCAL_POINT and user.state_id == document.owner_state_id


def may_moderate(user: User, document: Document) -> bool:
    """The Secretariat decides on what others submit, never a State's on its own State's (an
    account of the Secretariat may belong to one); on its own guidance it decides too."""
    return user.role in SECRETARIAT_ROLES and (
        document.owner_state_id is None or user.state_id != document.owner_state_id)


def moderated_clause(user: User) -> ColumnElement[bool]:
    """`may_moderate` as SQL (the role is the caller's to check)."""
    if user.state_id is None:
        return true()
    return or_(Document.owner_state_id.is_(None), Document.owner_state_id != user.state_id)
