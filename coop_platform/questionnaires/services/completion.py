"""The Secretariat's view of completion: per State and per regional group, how far each
response has come, and which answers nobody has confirmed for 12 months."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES, require_role
from coop_platform.core.clock import utcnow
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    Response,
)
from coop_platform.questionnaires.services.reading import STALE_AFTER
from coop_platform.questionnaires.services.visibility import visible_answers
from coop_platform.states.models import REGIONAL_GROUPS, State, by_display_name


def _require_secretariat(user: User) -> None:
    require_role(user, SECRETARIAT_ROLES,
                 _l("Only the Secretariat sees the completion of every State."))


@dataclass
class StateLine:
    state: State
    status: str | None  # None: not started
    answered: int = 0
    accepted: int = 0
    stale: int = 0


@dataclass
class GroupLine:
    code: str
    label: str
    states: int = 0
    started: int = 0
    submitted: int = 0  # waiting for a decision now
    accepted: int = 0  # last decision: accepted
    with_stale: int = 0
    lines: list[StateLine] = field(default_factory=list)


def completion(user: User, questionnaire: Questionnaire) -> list[GroupLine]:
    """One line per State (active or not), grouped by regional group; three statements."""
    _require_secretariat(user)
    cutoff = utcnow() - STALE_AFTER
    seen = (select(AnswerRevision.answer_id, AnswerRevision.confirmed_at)
            .join(Answer, (AnswerRevision.answer_id == Answer.id)
                  & (AnswerRevision.number == Answer.submitted_revision))
            .subquery())
    rows = db.session.execute(
        select(Response.state_id, Response.status,
               func.count(case((Answer.revision > 0, 1))),
               func.count(Answer.accepted_revision),
               func.count(case((seen.c.confirmed_at < cutoff, 1))))
        .join(Answer, Answer.response_id == Response.id)
        .outerjoin(seen, seen.c.answer_id == Answer.id)
        .where(Response.questionnaire_id == questionnaire.id)
        .group_by(Response.state_id, Response.status))
    by_state = {state_id: (status, answered, accepted, stale)
                for state_id, status, answered, accepted, stale in rows}
    groups = {code: GroupLine(code, str(label)) for code, (_, label) in REGIONAL_GROUPS.items()}
    for state in by_display_name(db.session.scalars(select(State))):
        status, answered, accepted, stale = by_state.get(state.id, (None, 0, 0, 0))
        group = groups[state.regional_group]
        group.states += 1
        group.started += status is not None
        group.submitted += status == "submitted"
        group.accepted += status == "accepted"
        group.with_stale += stale > 0
        group.lines.append(StateLine(state, status, answered, accepted, stale))
    return list(groups.values())


def stale_answers(user: User, questionnaire: Questionnaire, limit: int = 500
                  ) -> list[tuple[State, Question, AnswerRevision]]:
    """Answers the Secretariat reads whose last confirmation is over 12 months old, oldest
    first: (State, question, revision)."""
    _require_secretariat(user)
    cutoff = utcnow() - STALE_AFTER
    rows = db.session.execute(
        visible_answers(user).add_columns(State, Question)
        .join(Question, Answer.question_id == Question.id)
        .where(Response.questionnaire_id == questionnaire.id,
               AnswerRevision.confirmed_at < cutoff)
        .order_by(AnswerRevision.confirmed_at, State.iso3, Question.position).limit(limit))
    return [(state, question, revision) for _answer, revision, state, question in rows]
