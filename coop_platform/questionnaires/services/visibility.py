"""The one visibility rule for answers: which revision of which answer a user may read.

Used by every page that shows answers (a response, the comparison, the grid, the directory,
the dashboard), by every export and by search. It yields (Answer, AnswerRevision)
pairs: the revision is the one this reader sees, chosen inside the query.

- Focal point, own State: the working revision (drafts and "Secretariat only" included).
- Secretariat (moderator, admin): the revision last submitted to it, for every State,
  active or not, "Secretariat only" included. Drafts never submitted stay with their State.
- Focal point of another State, and Court liaison: the accepted revision only, while the
  State is active, unless the answer was marked "Secretariat only" when accepted or in any
  revision saved since (so narrowing applies at once and widening waits for the
  Secretariat's acceptance).
- Anyone else: nothing. A questionnaire still in draft shows no answers to anyone.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, case, false, or_, select, true

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES, Role
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Questionnaire,
    QuestionnaireStatus,
    Response,
)
from coop_platform.states.models import State


class _Branch(NamedTuple):
    """One part of what a reader may read: the answers `when` selects, seen at the revision
    numbered `number`, provided `also` holds."""

    when: ColumnElement[bool]
    number: Any  # a revision-number column (a mapped attribute), or a CASE over them
    also: ColumnElement[bool]


def _branches(user: Any) -> list[_Branch]:
    """The rule itself; no branch, no answer. The branches never overlap."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.role in SECRETARIAT_ROLES:
        return [_Branch(true(), Answer.submitted_revision, true())]
    peers = and_(Answer.secretariat_only.is_(False), AnswerRevision.secretariat_only.is_(False),
                 State.active.is_(True))
    if user.role == Role.COURT:
        return [_Branch(true(), Answer.accepted_revision, peers)]
    if user.role == Role.FOCAL_POINT and user.state_id is not None:
        return [_Branch(Response.state_id == user.state_id, Answer.revision, true()),
                _Branch(Response.state_id != user.state_id, Answer.accepted_revision, peers)]
    return []


def _answers_of(number: Any) -> Select[Answer, AnswerRevision]:
    return (
        select(Answer, AnswerRevision)
        .join(Response, Answer.response_id == Response.id)
        .join(Questionnaire, Response.questionnaire_id == Questionnaire.id)
        .join(State, Response.state_id == State.id)
        .join(AnswerRevision, and_(AnswerRevision.answer_id == Answer.id,
                                   AnswerRevision.number == number))
        .where(Questionnaire.status != QuestionnaireStatus.DRAFT)
    )


def visible_answers(user: Any) -> Select[Answer, AnswerRevision]:
    """(Answer, AnswerRevision) for every answer the user may read, with the revision they
    see. Join further (Question, Response, State are already joined) and filter at will."""
    branches = _branches(user)
    if not branches:
        return _answers_of(Answer.accepted_revision).where(false())
    if len(branches) == 1:
        (when, number, also), = branches
        return _answers_of(number).where(when, also)
    number = case(*[(b.when, b.number) for b in branches])
    return _answers_of(number).where(or_(*[and_(b.when, b.also) for b in branches]))


def visible_answer_branches(user: Any) -> list[Select[Answer, AnswerRevision]]:
    """The same answers as `visible_answers`, as selects whose union (ALL: they never
    overlap) is exactly it, each joining its revision on a plain column. A search over 100k
    answers needs this: a revision number chosen by CASE is one the planner cannot estimate,
    so it hashed every revision of the platform to keep the few thousand matched."""
    branches = _branches(user)
    if not branches:
        return [_answers_of(Answer.accepted_revision).where(false())]
    return [_answers_of(b.number).where(b.when, b.also) for b in branches]


def is_own(user: User, response: Response) -> bool:
    """May answer for this response's State."""
    return user.role == Role.FOCAL_POINT and user.state_id == response.state_id


def sees_everything(user: User) -> bool:
    """Sees every State, inactive ones included, and every submitted answer."""
    return user.role in SECRETARIAT_ROLES


def readable_states(user: User) -> Select[State]:
    """The States whose answers this user could see at all (rows of the comparison)."""
    stmt = select(State)
    if not sees_everything(user):
        stmt = stmt.where(or_(State.active.is_(True), State.id == (user.state_id or -1)))
    return stmt
