"""A State's focal points answer: save (never overwriting a concurrent save), confirm "still
accurate", submit to the Secretariat, recall a submission.

Every save names the revision it started from. The answer's revision moves on in one
conditional UPDATE (`WHERE revision = :base`), so of two saves started from the same
revision exactly one lands, on SQLite as on PostgreSQL; the other is refused with both
values to merge. A save of several answers lands whole or not at all.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import Role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, Forbidden, ValidationFailed
from coop_platform.core.locks import lock
from coop_platform.core.rows import changed_rows
from coop_platform.core.signals import response_transitioned
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseStatus,
)
from coop_platform.questionnaires.services.visibility import is_own
from coop_platform.questionnaires.values import Entry, is_shown


def _require_focal_point(user: User) -> None:
    if user.role != Role.FOCAL_POINT or user.state_id is None:
        raise Forbidden(_l("Only focal points answer for their State."))


def _require_open(questionnaire: Questionnaire) -> None:
    if questionnaire.status != QuestionnaireStatus.OPEN:
        raise Conflict(_l("This questionnaire is closed: its answers can be read, not changed."))


def my_response(user: User, questionnaire: Questionnaire) -> Response | None:
    """The user's State's response, if it has started one."""
    _require_focal_point(user)
    return db.session.scalars(select(Response).where(
        Response.questionnaire_id == questionnaire.id,
        Response.state_id == user.state_id)).one_or_none()


def start_response(user: User, questionnaire: Questionnaire) -> Response:
    """The user's State's response, created (with an answer per question) if there is none
    yet. Two first starts at once make one response: the insert does nothing on conflict."""
    _require_focal_point(user)
    _require_open(questionnaire)
    values = {"questionnaire_id": questionnaire.id, "state_id": user.state_id,
              "status": "draft", "public_id": _new_public_id(), "created_at": utcnow(),
              "updated_at": utcnow()}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(Response).values(**values).on_conflict_do_nothing(
        index_elements=["questionnaire_id", "state_id"]))
    response = db.session.scalars(select(Response).where(
        Response.questionnaire_id == questionnaire.id,
        Response.state_id == user.state_id)).one()
    _ensure_answers(response)
    db.session.commit()
    return response


def _new_public_id() -> str:
    return str(uuid.uuid4())


def _ensure_answers(response: Response) -> None:
    """One answer row per question (questions added in a new version included)."""
    have = set(db.session.scalars(select(Answer.question_id).where(
        Answer.response_id == response.id)))
    missing = [q for q in response.questionnaire.questions if q.id not in have]
    if not missing:
        return
    lock(response)
    have = set(db.session.scalars(select(Answer.question_id).where(
        Answer.response_id == response.id)))
    for question in missing:
        if question.id not in have:
            db.session.add(Answer(response_id=response.id, question_id=question.id, revision=0))
    db.session.flush()


def working_revisions(response: Response) -> dict[str, tuple[Answer, AnswerRevision | None]]:
    """{question key: (answer, working revision or None)} for the State's own page."""
    rows = db.session.execute(
        select(Answer, AnswerRevision, Question.key)
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(AnswerRevision, (AnswerRevision.answer_id == Answer.id)
                   & (AnswerRevision.number == Answer.revision))
        .where(Answer.response_id == response.id))
    return {key: (answer, revision) for answer, revision, key in rows}


@dataclass
class Change:
    question: Question
    entry: Entry
    base: int


@dataclass
class StaleAnswer:
    question: Question
    yours: Entry
    theirs: AnswerRevision | None
    current: int


@dataclass
class SaveOutcome:
    saved: list[str] = field(default_factory=list)
    stale: list[StaleAnswer] = field(default_factory=list)


def save(user: User, response: Response, changes: list[Change]) -> SaveOutcome:
    """Save the answers that differ from their working revision, each from its base revision.
    If any was changed meanwhile by someone else, nothing is saved and the stale ones are
    returned with both values."""
    _require_focal_point(user)
    if not is_own(user, response):
        raise Forbidden(_l("You may answer for your own State only."))
    lock(response)
    _require_open(response.questionnaire)
    if response.status == ResponseStatus.SUBMITTED:
        raise Conflict(_l("The response is with the Secretariat. Recall the submission to "
                          "change it."))
    current = working_revisions(response)
    outcome = SaveOutcome()
    now = utcnow()
    to_write = []
    for change in changes:
        answer, revision = current[change.question.key]
        if change.entry.same_as(revision):
            continue
        if change.base != answer.revision:
            outcome.stale.append(StaleAnswer(change.question, change.entry, revision,
                                             answer.revision))
            continue
        to_write.append((change, answer))
    if outcome.stale:
        db.session.rollback()
        return outcome
    for change, answer in to_write:
        # The conditional UPDATE is the guard: a save that started from an older revision
        # matches no row (the lock above already serialises saves of one response).
        # Ticking "Secretariat only" keeps the answer from peers at once; unticking leaves
        # it kept until the Secretariat accepts a revision without it (review.decide).
        narrowed = {"secretariat_only": True} if change.entry.secretariat_only else {}
        moved = changed_rows(
            update(Answer).where(Answer.id == answer.id, Answer.revision == change.base)
            .values(revision=change.base + 1, **narrowed)
            .execution_options(synchronize_session=False))
        if moved != 1:
            db.session.rollback()
            raise Conflict(_l("Someone saved this answer at the same moment. Reload the page."))
        db.session.add(AnswerRevision(
            answer_id=answer.id, number=change.base + 1,
            value_json=json.dumps(change.entry.value, ensure_ascii=False, sort_keys=True),
            remarks=change.entry.remarks, language=change.entry.language,
            secretariat_only=change.entry.secretariat_only, saved_by_id=user.id, saved_at=now,
            confirmed_by_id=user.id, confirmed_at=now))
        outcome.saved.append(change.question.key)
    if outcome.saved:
        if response.status != ResponseStatus.DRAFT:
            response.status = "draft"
        response.updated_at = now
        record("questionnaire.answers_saved", actor=user, object_type="response",
               object_id=response.public_id, state_id=response.state_id,
               details={"questions": outcome.saved,
                        "revisions": {c.question.key: c.base + 1 for c, _ in to_write}})
    db.session.commit()
    db.session.expire_all()
    return outcome


def confirm(user: User, response: Response, keys: list[str]) -> list[str]:
    """Mark answered questions "still accurate" today, unchanged. Returns the keys confirmed."""
    _require_focal_point(user)
    if not is_own(user, response):
        raise Forbidden(_l("You may confirm your own State's answers only."))
    lock(response)
    _require_open(response.questionnaire)
    current = working_revisions(response)
    now = utcnow()
    confirmed = []
    for key in keys:
        answer, revision = current.get(key, (None, None))
        if revision is None:
            continue
        revision.confirmed_at, revision.confirmed_by_id = now, user.id
        confirmed.append(key)
    if not confirmed:
        raise ValidationFailed(_l("There is no saved answer to confirm here."))
    record("questionnaire.answers_confirmed", actor=user, object_type="response",
           object_id=response.public_id, state_id=response.state_id,
           details={"questions": confirmed})
    db.session.commit()
    return confirmed


def missing_required(response: Response) -> list[Question]:
    current = working_revisions(response)
    values = {key: (rev.value if rev is not None else None) for key, (_, rev) in current.items()}
    return [q for q in response.questionnaire.questions
            if q.required and is_shown(q, values) and values.get(q.key) is None]


@dataclass
class Summary:
    progress: dict[str, tuple[int, int]]  # section code -> (answered, questions)
    comments: dict[str, str]  # question key -> the Secretariat's comment
    missing: list[Question]  # required, shown, not answered


def summary(response: Response) -> Summary:
    current = working_revisions(response)
    progress = {}
    for section in response.questionnaire.sections:
        answered = 0
        for q in section.questions:
            revision = current[q.key][1] if q.key in current else None
            answered += revision is not None and revision.value is not None
        progress[section.code] = (answered, len(section.questions))
    return Summary(progress,
                   {k: a.review_comment for k, (a, _) in current.items() if a.review_comment},
                   missing_required(response))


def submit(user: User, response: Response) -> Response:
    _require_focal_point(user)
    if not is_own(user, response):
        raise Forbidden(_l("You may submit your own State's response only."))
    lock(response)
    _require_open(response.questionnaire)
    if response.status not in ("draft", "returned", "rejected"):
        raise Conflict(_l("There is nothing new to submit: the response is “%(status)s”.",
                          status=response.status_label))
    missing = missing_required(response)
    if missing:
        raise ValidationFailed(_l("Answer the required questions first: %(keys)s.",
                                  keys=", ".join(q.key for q in missing)))
    now = utcnow()
    db.session.execute(
        update(Answer).where(Answer.response_id == response.id, Answer.revision > 0)
        .values(submitted_revision=Answer.revision)
        .execution_options(synchronize_session=False))
    previous = response.status
    response.status, response.submitted_at, response.submitted_by_id = "submitted", now, user.id
    response.updated_at = now
    record("questionnaire.submitted", actor=user, object_type="response",
           object_id=response.public_id, state_id=response.state_id,
           details={"from": previous, "to": "submitted"})
    response_transitioned.send(response, action="submit", actor=user, reason="")
    db.session.commit()
    return response


def recall(user: User, response: Response) -> Response:
    """Take a submission back before the Secretariat decides, to change it."""
    _require_focal_point(user)
    if not is_own(user, response):
        raise Forbidden(_l("You may recall your own State's response only."))
    lock(response)
    if response.status != ResponseStatus.SUBMITTED:
        raise Conflict(_l("Only a submitted response can be recalled."))
    response.status, response.updated_at = "draft", utcnow()
    record("questionnaire.recalled", actor=user, object_type="response",
           object_id=response.public_id, state_id=response.state_id,
           details={"from": "submitted", "to": "draft"})
    db.session.commit()
    return response
