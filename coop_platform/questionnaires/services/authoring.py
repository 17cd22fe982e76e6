"""Questionnaires and their versions: loading the seed content, opening, closing, cloning.

An open questionnaire's questions never change (answers would silently change meaning); a
change is a new version cloned from it, whose responses start from the answers of the
previous version, carried forward by question key. The old answers stay with the old version.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import Role, require_role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, NotFound
from coop_platform.core.locks import lock
from coop_platform.extensions import db
from coop_platform.questionnaires import seed_content
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseStatus,
    Section,
)

ADMIN_ONLY = _l("Only an administrator may manage questionnaires.")


def _question_from_seed(questionnaire: Questionnaire, section: Section, position: int,
                        spec: dict[str, Any]) -> Question:
    condition = spec.get("condition")
    return Question(
        questionnaire=questionnaire, section=section, key=spec["key"], qtype=spec["type"],
        text_en=spec["en"], text_fr=spec["fr"], help_en=spec["help_en"],
        help_fr=spec["help_fr"], required=spec.get("required", False),
        comparable=spec.get("comparable", True), position=position,
        options_json=json.dumps(spec.get("options", []), ensure_ascii=False),
        settings_json=json.dumps(spec.get("settings", {}), ensure_ascii=False),
        condition_key=condition[0] if condition else None,
        condition_values_json=json.dumps(condition[1] if condition else []),
    )


def load_seed(actor: User | None = None) -> tuple[Questionnaire, bool]:
    """Create version 1 of the cooperation questionnaire, open, unless one exists.
    Returns the questionnaire and whether it was created."""
    require_role(actor, Role.ADMIN, ADMIN_ONLY)
    existing = db.session.scalars(select(Questionnaire).where(
        Questionnaire.family == seed_content.FAMILY).order_by(Questionnaire.version)).first()
    if existing is not None:
        return existing, False
    now = utcnow()
    questionnaire = Questionnaire(family=seed_content.FAMILY, version=1,
                                  title_en=seed_content.TITLE[0], title_fr=seed_content.TITLE[1],
                                  status="open", opened_at=now, created_at=now)
    db.session.add(questionnaire)
    position = 0
    for index, (code, title_en, title_fr, questions) in enumerate(seed_content.SECTIONS):
        section = Section(questionnaire=questionnaire, code=code, title_en=title_en,
                          title_fr=title_fr, position=index)
        db.session.add(section)
        for spec in questions:
            position += 1
            db.session.add(_question_from_seed(questionnaire, section, position, spec))
    db.session.flush()
    record("questionnaire.created", actor=actor, object_type="questionnaire",
           object_id=questionnaire.public_id,
           details={"family": questionnaire.family, "version": 1,
                    "questions": position, "status": "open"})
    db.session.commit()
    return questionnaire, True


def get_questionnaire(public_id: str, *, include_drafts: bool = False) -> Questionnaire:
    stmt = select(Questionnaire).where(Questionnaire.public_id == public_id)
    if not include_drafts:
        stmt = stmt.where(Questionnaire.status != QuestionnaireStatus.DRAFT)
    questionnaire = db.session.scalars(stmt).one_or_none()
    if questionnaire is None:
        raise NotFound(_l("No such questionnaire."))
    return questionnaire


def list_questionnaires(*, include_drafts: bool = False) -> list[Questionnaire]:
    stmt = select(Questionnaire).order_by(Questionnaire.family, Questionnaire.version.desc())
    if not include_drafts:
        stmt = stmt.where(Questionnaire.status != QuestionnaireStatus.DRAFT)
    return list(db.session.scalars(stmt))


def set_status(actor: User | None, questionnaire: Questionnaire, status: str) -> None:
    """draft -> open -> closed. Opening closes the family's other open version."""
    require_role(actor, Role.ADMIN, ADMIN_ONLY)
    lock(questionnaire)
    allowed = {("draft", "open"), ("open", "closed")}
    if (questionnaire.status, status) not in allowed:
        raise Conflict(_l("This questionnaire cannot go from “%(a)s” to that status.",
                          a=questionnaire.status_label))
    now = utcnow()
    if status == "open":
        for other in db.session.scalars(select(Questionnaire).where(
                Questionnaire.family == questionnaire.family,
                Questionnaire.status == QuestionnaireStatus.OPEN)):
            other.status, other.closed_at = "closed", now
        questionnaire.opened_at = now
    else:
        questionnaire.closed_at = now
    previous = questionnaire.status
    questionnaire.status = status
    record(f"questionnaire.{status}", actor=actor, object_type="questionnaire",
           object_id=questionnaire.public_id, details={"from": previous, "to": status})
    db.session.commit()


def clone(actor: User | None, source: Questionnaire) -> Questionnaire:
    """A new draft version with the same sections and questions (to be edited before it is
    opened), and for every State that answered the source, a response whose answers start
    from the source's, by question key: accepted answers stay accepted, work in progress
    stays in progress."""
    require_role(actor, Role.ADMIN, ADMIN_ONLY)
    version = (db.session.scalar(select(func.max(Questionnaire.version)).where(
        Questionnaire.family == source.family)) or 0) + 1
    copy = Questionnaire(family=source.family, version=version, title_en=source.title_en,
                         title_fr=source.title_fr, status="draft", cloned_from_id=source.id)
    db.session.add(copy)
    sections = {}
    for section in source.sections:
        sections[section.id] = Section(questionnaire=copy, code=section.code,
                                       title_en=section.title_en, title_fr=section.title_fr,
                                       position=section.position)
        db.session.add(sections[section.id])
    questions = {}
    for q in source.questions:
        questions[q.key] = Question(
            questionnaire=copy, section=sections[q.section_id], key=q.key, qtype=q.qtype,
            text_en=q.text_en, text_fr=q.text_fr, help_en=q.help_en, help_fr=q.help_fr,
            required=q.required, comparable=q.comparable, position=q.position,
            options_json=q.options_json, settings_json=q.settings_json,
            condition_key=q.condition_key, condition_values_json=q.condition_values_json)
        db.session.add(questions[q.key])
    db.session.flush()
    carried = 0
    for response in db.session.scalars(select(Response).where(
            Response.questionnaire_id == source.id)):
        new_response = Response(questionnaire=copy, state_id=response.state_id, status="draft")
        db.session.add(new_response)
        db.session.flush()
        carried += _carry_forward(response, new_response, questions)
    record("questionnaire.cloned", actor=actor, object_type="questionnaire",
           object_id=copy.public_id,
           details={"from": source.public_id, "version": version, "answers_carried": carried})
    db.session.commit()
    return copy


def _copy(revision: AnswerRevision, answer_id: int, number: int) -> AnswerRevision:
    return AnswerRevision(
        answer_id=answer_id, number=number, value_json=revision.value_json,
        remarks=revision.remarks, language=revision.language,
        secretariat_only=revision.secretariat_only, saved_by_id=revision.saved_by_id,
        saved_at=revision.saved_at, confirmed_by_id=revision.confirmed_by_id,
        confirmed_at=revision.confirmed_at, carried_from_id=revision.id)


def _carry_forward(old: Response, new: Response, questions: dict[str, Question]) -> int:
    """Each answer's accepted revision (peers keep reading it once the new version opens) and
    its working revision when it differs; the new response is accepted when nothing is
    pending. Editing a question in the draft withdraws the acceptance of its answers."""
    found: dict[int, tuple[Answer, str, dict[int, AnswerRevision]]] = {}
    for answer, revision, key in db.session.execute(
            select(Answer, AnswerRevision, Question.key)
            .join(Question, Answer.question_id == Question.id)
            .join(AnswerRevision, and_(AnswerRevision.answer_id == Answer.id,
                                       or_(AnswerRevision.number == Answer.revision,
                                           AnswerRevision.number == Answer.accepted_revision)))
            .where(Answer.response_id == old.id)):
        found.setdefault(answer.id, (answer, key, {}))[2][revision.number] = revision
    count, pending, reviewed = 0, False, {}
    for answer, key, revisions in found.values():
        question = questions.get(key)
        if question is None:
            continue
        working = revisions.get(answer.revision)
        accepted = revisions.get(answer.accepted_revision) \
            if answer.accepted_revision is not None else None
        copy = Answer(response=new, question=question, revision=0,
                      secretariat_only=answer.secretariat_only)
        db.session.add(copy)
        db.session.flush()
        if accepted is not None:
            copy.revision = copy.accepted_revision = copy.submitted_revision = 1
            db.session.add(_copy(accepted, copy.id, 1))
            reviewed[key] = 1
        if working is not None and working is not accepted:
            copy.revision += 1
            db.session.add(_copy(working, copy.id, copy.revision))
            pending = True
        count += 1
    if old.status == ResponseStatus.ACCEPTED and not pending:
        new.status = "accepted"
        new.reviewed_at, new.reviewed_by_id = old.reviewed_at, old.reviewed_by_id
    new.reviewed_revisions_json = json.dumps(reviewed, sort_keys=True) if reviewed else ""
    return count
