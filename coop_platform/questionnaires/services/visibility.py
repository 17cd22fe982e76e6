"""The one visibility rule for answers: which revision of which answer a user may read.

Used by every page that shows answers (a response, the comparison, the grid, the directory,
the dashboard), by every export and, next, by search. It yields (Answer, AnswerRevision)
pairs: the revision is the one this reader sees, chosen inside the query.

- Focal point, own State: the working revision (drafts and "Secretariat only" included).
- Secretariat (moderator, admin): the revision last submitted to it, for every State,
  active or not, "Secretariat only" included. Drafts never submitted stay with their State.
- Focal point of another State, and Court liaison: the accepted revision only, while the
  State is active, unless the answer is "Secretariat only" now or was when accepted (so
  narrowing applies at once and widening waits for the Secretariat's acceptance).
- Anyone else: nothing. A questionnaire still in draft shows no answers to anyone.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, case, false, or_, select, true

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES
from coop_platform.questionnaires.models import Answer, AnswerRevision, Questionnaire, Response
from coop_platform.states.models import State


def _seen_number(user: User):
    if user is None:
        return Answer.accepted_revision  # and _clause() is false
    if user.role in SECRETARIAT_ROLES:
        return Answer.submitted_revision
    if user.role == "focal_point" and user.state_id is not None:
        return case((Response.state_id == user.state_id, Answer.revision),
                    else_=Answer.accepted_revision)
    return Answer.accepted_revision


def _clause(user: User):
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if user.role in SECRETARIAT_ROLES:
        return true()
    peers = and_(Answer.secretariat_only.is_(False), AnswerRevision.secretariat_only.is_(False),
                 State.active.is_(True))
    if user.role == "court":
        return peers
    if user.role == "focal_point" and user.state_id is not None:
        return or_(Response.state_id == user.state_id, peers)
    return false()


def visible_answers(user: User) -> Select:
    """(Answer, AnswerRevision) for every answer the user may read, with the revision they
    see. Join further (Question, Response, State are already joined) and filter at will."""
    return (
        select(Answer, AnswerRevision)
        .join(Response, Answer.response_id == Response.id)
        .join(Questionnaire, Response.questionnaire_id == Questionnaire.id)
        .join(State, Response.state_id == State.id)
        .join(AnswerRevision, and_(AnswerRevision.answer_id == Answer.id,
                                   AnswerRevision.number == _seen_number(user)))
        .where(Questionnaire.status != "draft", _clause(user))
    )


def is_own(user: User, response: Response) -> bool:
    """May answer for this response's State."""
    return user.role == "focal_point" and user.state_id == response.state_id


def sees_everything(user: User) -> bool:
    """Sees every State, inactive ones included, and every submitted answer."""
    return user.role in SECRETARIAT_ROLES


def readable_states(user: User) -> Select:
    """The States whose answers this user could see at all (rows of the comparison)."""
    stmt = select(State)
    if not sees_everything(user):
        stmt = stmt.where(or_(State.active.is_(True), State.id == (user.state_id or -1)))
    return stmt
