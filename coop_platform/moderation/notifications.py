"""Who is told what: moderators of every submission, the owner State's focal points of every
decision, a user of every use of one of their recovery codes. In-app always; by e-mail too
(after commit). E-mails carry no document content, and no title of a confidential document:
only a link."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from coop_platform.auth.models import User, UserStatus
from coop_platform.core.authz import SECRETARIAT_ORGAN, SECRETARIAT_ROLES, Role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import NotFound
from coop_platform.core.pages import paginate
from coop_platform.core.signals import (
    answers_need_confirmation,
    document_transitioned,
    documents_need_confirmation,
    recovery_code_used,
    response_transitioned,
    sharing_changed,
)
from coop_platform.documents.models import Document, DocumentStatus
from coop_platform.documents.services.queries import downloader_ids
from coop_platform.documents.services.visibility import visible_documents
from coop_platform.extensions import db
from coop_platform.mail import outbox as mail
from coop_platform.mail import texts
from coop_platform.moderation.models import Notification
from coop_platform.questionnaires.services import following
from coop_platform.states.models import State

DECISIONS = ("publish", "return", "reject", "withdraw")


def _secretariat() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role.in_(SECRETARIAT_ROLES), User.status == UserStatus.ACTIVE)))


def _focal_points(state_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(State, User.state_id == State.id).where(
        User.role == Role.FOCAL_POINT, User.state_id == state_id, User.status == UserStatus.ACTIVE,
        State.active.is_(True))))


def _owners(document: Document) -> list[User]:
    """Who acts for the document's owner, and is told of decisions on it: the owner State's
    focal points, the Secretariat, or the accounts of the owner organ of the Court."""
    if document.owner_state_id is not None:
        return _focal_points(document.owner_state_id)
    return _organ(document.owner_organ or "")


def _organ(organ: str) -> list[User]:
    if organ == SECRETARIAT_ORGAN:
        return _secretariat()
    return list(db.session.scalars(select(User).where(
        User.role == Role.COURT, User.court_organ == organ, User.status == UserStatus.ACTIVE)))


def _owner_code(document: Document) -> str:
    """The owner as notification parameters keep it: a State's code, or the organ's key."""
    return document.owner_state.iso3 if document.owner_state is not None \
        else str(document.owner_organ)


def _mail_text(kind: str, document: Document | None, params: dict[str, Any]) -> tuple[str, str]:
    """Subject and body, in the recipient's language (the caller sets the locale). A
    confidential document's title is never mailed."""
    title = (document.title if document is not None
             and document.classification != "confidential" else None)
    state = (document.owner_name if document is not None
             else state_name(params.get("state", "")))
    action = params.get("action", "")
    return texts.render(kind, document=document, title=title, state=state, params=params,
                        decision=decision_label(action),
                        response_decision=response_decision_label(action))


def state_name(iso3: str) -> str:
    state = db.session.scalars(select(State).where(State.iso3 == iso3)).one_or_none()
    return state.display_name if state is not None else iso3


def response_decision_label(action: str) -> str:
    return {"accept": _("accepted"), "return": _("returned with comments"),
            "reject": _("rejected")}.get(action, action)


def decision_label(action: str) -> str:
    return {"publish": _("published"), "return": _("returned for revision"),
            "reject": _("rejected"), "withdraw": _("withdrawn"),
            "accept": _("accepted")}.get(action, action)


def notify(users: list[User], kind: str, document: Document | None = None, **params) -> None:
    """In the platform always; by e-mail too for those who keep e-mail notifications on (a
    recovery code's use is always mailed: it may be someone else)."""
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=kind, document=document,
                                    params=json.dumps(params, sort_keys=True)))
        if not user.email_notifications and kind != "recovery_code_used":
            continue
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject, body = _mail_text(kind, document, params)
        mail.queue(db.session(), mail.Mail(user.email, subject, body))


def _recipients(document: Document, state_ids: set[int] | None, court: bool) -> list[User]:
    """The people a published document reaches: focal points of the given States (None: every
    State) other than the owner, active ones of active States, and Court liaisons if shared."""
    stmt = (select(User).join(State, User.state_id == State.id)
            .where(User.role == Role.FOCAL_POINT, User.status == UserStatus.ACTIVE,
                   State.active.is_(True)))
    if document.owner_state_id is not None:
        stmt = stmt.where(User.state_id != document.owner_state_id)
    if state_ids is not None:
        stmt = stmt.where(User.state_id.in_(state_ids or {-1}))
    people = list(db.session.scalars(stmt))
    if court:
        people += list(db.session.scalars(select(User).where(User.role == Role.COURT,
                                                             User.status == UserStatus.ACTIVE)))
    return people


def _state_ids(described: dict) -> set[int] | None:
    if described["audience"] == "all_states":
        return None
    if described["audience"] == "secretariat":
        return set()
    return set(db.session.scalars(select(State.id).where(State.iso3.in_(described["states"]))))


REVISION_DECISIONS = ("accept_revision", "return_revision", "reject_revision")


@document_transitioned.connect
def _on_document_transitioned(document: Document, action: str, actor: User, **_kw) -> None:
    if action == "submit_revision":
        notify([u for u in _secretariat() if u.id != actor.id], "revision_submission", document,
               state=_owner_code(document))
        return
    if action in REVISION_DECISIONS:
        notify([u for u in _owners(document) if u.id != actor.id],
               "revision_decision", document, action=action.removesuffix("_revision"))
        if action == "accept_revision":
            _tell_readers_of_revision(document, actor, _kw["revision"])
        return
    if action == "submit":
        notify([u for u in _secretariat() if u.id != actor.id], "submission", document,
               state=_owner_code(document))
    elif action in DECISIONS:
        notify([u for u in _owners(document) if u.id != actor.id],
               "decision", document, action=action)
    if action == "publish" and document.owner_active:
        state_ids = (None if document.audience == "all_states"
                     else set(document.audience_state_ids))
        notify(_recipients(document, state_ids, document.shared_with_court), "shared", document,
               state=_owner_code(document))


@sharing_changed.connect
def _on_sharing_changed(document: Document, action: str, actor: User, **_kw) -> None:
    if action == "request":
        notify([u for u in _secretariat() if u.id != actor.id], "sharing_request", document,
               state=_owner_code(document))
    else:
        notify([u for u in _owners(document) if u.id != actor.id],
               "sharing_decision", document, action=action)
    if action == "accept" and document.status == DocumentStatus.PUBLISHED:
        # Only those the wider sharing newly reaches are told.
        before, after = _kw["before"], _kw["after"]
        had = {u.id for u in _recipients(document, _state_ids(before),
                                          before["share_with_court"])}
        notify([u for u in _recipients(document, _state_ids(after), after["share_with_court"])
                if u.id not in had], "shared", document, state=_owner_code(document))


def _tell_readers_of_revision(document: Document, actor: User, revision) -> None:
    """Those who follow the owner State, and those who downloaded an earlier version, are told
    once of the accepted revision — each only if the document is (still) shared with them.
    The owner State's own focal points have the decision already."""
    if not document.owner_active:
        return
    candidates = set(following.state_follower_ids(document.owner_state.iso3)
                     if document.owner_state is not None else ())
    candidates |= downloader_ids(document)
    stmt = select(User).where(User.id.in_(candidates or {-1}),
                              User.status == UserStatus.ACTIVE, User.id != actor.id)
    if document.owner_state_id is not None:  # its own focal points have the decision
        stmt = stmt.where(or_(User.state_id.is_(None),
                              User.state_id != document.owner_state_id))
    people = db.session.scalars(stmt.order_by(User.id)).all()
    readers = [u for u in people if db.session.scalar(
        visible_documents(u).with_only_columns(Document.id).where(Document.id == document.id))]
    notify(readers, "document_revised", document, state=_owner_code(document),
           revision=revision.public_id)


@response_transitioned.connect
def _on_response_transitioned(response, action: str, actor: User, **_kw) -> None:
    about = {"state": response.state.iso3, "response": response.public_id,
             "questionnaire": response.questionnaire.public_id}
    if action == "submit":
        notify([u for u in _secretariat() if u.id != actor.id], "response_submission", **about)
    else:
        notify([u for u in _focal_points(response.state_id) if u.id != actor.id],
               "response_decision", action=action, **about)
    if action == "accept" and _kw.get("changed"):
        _tell_followers(response, _kw["changed"], actor, about)


def _tell_followers(response, changed: list[str], actor: User, about: dict) -> None:
    """Each follower is told of the changed answers they may read, and only of those: an
    answer kept for the Secretariat or a State out of reach is not even mentioned. The
    State's own focal points already have the decision."""
    for user, keys in following.followers(response, changed).items():
        if user.id == actor.id or user.state_id == response.state_id:
            continue
        readable = following.readable_keys(user, response, keys)
        if readable:
            notify([user], "answer_changed", keys=sorted(readable), **about)


@answers_need_confirmation.connect
def _on_answers_need_confirmation(response, count: int, **_kw) -> None:
    notify(_focal_points(response.state_id), "answers_reminder", count=count,
           state=response.state.iso3, questionnaire=response.questionnaire.public_id,
           response=response.public_id)


@documents_need_confirmation.connect
def _on_documents_need_confirmation(state: State | None, count: int, organ: str | None = None,
                                    **_kw) -> None:
    if state is not None:
        notify(_focal_points(state.id), "documents_reminder", count=count, state=state.iso3)
    elif organ:
        notify(_organ(organ), "documents_reminder", count=count, organ=organ)


@recovery_code_used.connect
def _on_recovery_code_used(user: User, **_kw) -> None:
    notify([user], "recovery_code_used")


# -- reading ----------------------------------------------------------------------------------
def open_notification(user: User, notification_id: int) -> Notification:
    """One of the user's own notifications, marked read (NotFound for anyone else's)."""
    notification = db.session.scalars(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id)).one_or_none()
    if notification is None:
        raise NotFound(_l("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def visible_document_ids(user: User, notes) -> set[int]:
    """Which of these notifications' documents the user may still see: a title shows only
    while its document is shared with the reader (sharing can narrow after the notice)."""
    ids = {n.document_id for n in notes if n.document_id}
    if not ids:
        return set()
    return set(db.session.scalars(visible_documents(user).with_only_columns(Document.id)
                                  .where(Document.id.in_(ids))))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, page: int, per_page: int = 30):
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return paginate(stmt, page, per_page)


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()


def params_of(notification: Notification) -> dict:
    return json.loads(notification.params or "{}")
