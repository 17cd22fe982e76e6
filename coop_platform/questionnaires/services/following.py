"""Following a State's answers or a question, and the reminder of answers nearly a year
unconfirmed. Who is told what, and how, is the notifier's business (it listens to the
signals sent here and by the review); this module only says who follows what and which of
the changed answers each follower may read (the one visibility rule)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coop_platform.audit.services import record
from coop_platform.auth.models import User, UserStatus
from coop_platform.core import reminders
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import NotFound, ValidationFailed
from coop_platform.core.rows import changed_rows
from coop_platform.core.signals import answers_need_confirmation
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    FOLLOW_KINDS,
    Answer,
    AnswerRevision,
    Follow,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Response,
)
from coop_platform.questionnaires.services.reading import readable_state
from coop_platform.questionnaires.services.visibility import visible_answers
from coop_platform.states.models import State


def _target(user: User, kind: str, target: str) -> str:
    """The checked target: a State the user may read, or a question key that exists."""
    if kind == "state":
        return readable_state(user, target).iso3
    if kind == "question":
        if not db.session.scalar(select(Question.id).join(Questionnaire).where(
                Question.key == target, Questionnaire.status != QuestionnaireStatus.DRAFT).limit(1)):
            raise NotFound(_l("No such question."))
        return target
    raise ValidationFailed(_l("Follow a State or a question."))


def follow(user: User, kind: str, target: str) -> bool:
    """Returns whether a follow was added (following twice is one follow, even at once)."""
    target = _target(user, kind, target)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING says whether a row was inserted (psycopg reports rowcount -1 for this).
    added = db.session.execute(insert(Follow).values(
        user_id=user.id, kind=kind, target=target, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "target"])
        .returning(Follow.id)).first() is not None
    db.session.commit()
    return bool(added)


def unfollow(user: User, kind: str, target: str) -> bool:
    if kind not in FOLLOW_KINDS:
        raise ValidationFailed(_l("Follow a State or a question."))
    removed = changed_rows(delete(Follow).where(
        Follow.user_id == user.id, Follow.kind == kind, Follow.target == target)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(removed)


def follows_of(user: User) -> list[tuple[Follow, State | None]]:
    """The user's follows, States first, each with its State when it follows one."""
    return [(follow, state) for follow, state in db.session.execute(
        select(Follow, State)
        .outerjoin(State, and_(Follow.kind == "state", State.iso3 == Follow.target))
        .where(Follow.user_id == user.id).order_by(Follow.kind.desc(), Follow.target))]


def is_following(user: User, kind: str, target: str) -> bool:
    return bool(db.session.scalar(select(Follow.id).where(
        Follow.user_id == user.id, Follow.kind == kind, Follow.target == target)))


def state_follower_ids(iso3: str) -> list[int]:
    """Who follows the State (the notifier checks what each may see)."""
    return list(db.session.scalars(select(Follow.user_id).where(Follow.kind == "state",
                                                                 Follow.target == iso3)))


def followers(response: Response, keys: list[str]) -> dict[User, set[str]]:
    """Active users following the response's State or one of these questions, with the keys
    that concern each. Users of inactive States are left out (they cannot sign in)."""
    rows = db.session.execute(
        select(User, Follow.kind, Follow.target).join(Follow, Follow.user_id == User.id)
        .outerjoin(State, User.state_id == State.id)
        .where(User.status == UserStatus.ACTIVE, or_(State.id.is_(None), State.active.is_(True)),
               or_(and_(Follow.kind == "state", Follow.target == response.state.iso3),
                   and_(Follow.kind == "question", Follow.target.in_(keys)))))
    found: dict[User, set[str]] = {}
    for user, kind, target in rows:
        found.setdefault(user, set()).update(keys if kind == "state" else {target})
    return found


def readable_keys(user: User, response: Response, keys: set[str]) -> set[str]:
    """Which of these questions' answers in the response the user may read."""
    return set(db.session.scalars(
        visible_answers(user).with_only_columns(Question.key)
        .join(Question, Answer.question_id == Question.id)
        .where(Answer.response_id == response.id, Question.key.in_(keys))))


def remind(now: datetime | None = None) -> int:
    """Tell the focal points of each State whose open response holds answers unconfirmed for
    eleven months; at most once a month per response, even if two runs overlap
    (core/reminders.py). Returns the number of responses reminded."""
    now = now or utcnow()
    stale = db.session.execute(
        select(Response.id, func.count(Answer.id))
        .join(Answer, Answer.response_id == Response.id)
        .join(AnswerRevision, and_(AnswerRevision.answer_id == Answer.id,
                                   AnswerRevision.number == Answer.revision))
        .join(Questionnaire, Response.questionnaire_id == Questionnaire.id)
        .join(State, Response.state_id == State.id)
        .where(Questionnaire.status == QuestionnaireStatus.OPEN, State.active.is_(True),
               AnswerRevision._value_json != "",  # given (an answer not given is stored empty)
               AnswerRevision.confirmed_at < now - reminders.REMIND_AFTER)
        .group_by(Response.id).order_by(Response.id)).all()
    db.session.rollback()
    reminded = 0
    for response_id, count in stale:
        if not reminders.claim(Response, response_id, now):
            db.session.rollback()
            continue
        response = db.session.get_one(Response, response_id)
        record("questionnaire.reminded", object_type="response", object_id=response.public_id,
               state_id=response.state_id, details={"answers": count})
        answers_need_confirmation.send(response, count=count)
        db.session.commit()
        reminded += 1
    return reminded
