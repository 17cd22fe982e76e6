"""Editing the questions of a draft version before it opens (an administrator's work).

An open or closed version never changes: its answers were given to its wording. A draft
version, cloned from the open one, is where wording, help, options, number settings and
display conditions change, questions are added or removed; opening it closes the old one.

A draft holds the answers carried forward from the version it was cloned from. Editing must
not make them lie: an option still used by a carried answer cannot be removed, a number range
cannot exclude a carried number, a question's type never changes (a new key is a new
question). When what a question asks changes, the carried answers to it keep their content
but lose their acceptance: the State reviews them and the Secretariat accepts them anew.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import Role, require_role
from coop_platform.core.exceptions import Conflict, NotFound, ValidationFailed
from coop_platform.core.locks import lock
from coop_platform.core.params import whole_number
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    CLOSED_TYPES,
    FIXED_OPTIONS,
    QUESTION_TYPES,
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    ResponseStatus,
)
from coop_platform.questionnaires.services.authoring import ADMIN_ONLY
from coop_platform.questionnaires.values import DEFAULT_MAX_NUMBER, codes_of, decimal_of

OPTION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
MAX_TEXT, MAX_HELP, MAX_LABEL, MAX_UNIT = 1000, 4000, 200, 40
MAX_OPTIONS = 30


@dataclass
class QuestionEdit:
    """What the edit form sends, as text; checked by edit_question()."""

    text_en: str
    text_fr: str
    help_en: str = ""
    help_fr: str = ""
    required: bool = False
    comparable: bool = True
    options: str = ""  # one option a line: "code | English | French"
    unit_en: str = ""
    unit_fr: str = ""
    minimum: str = ""
    maximum: str = ""
    condition_key: str = ""
    condition_values: str = ""  # option codes, separated by commas


def _require_draft(actor: User | None, questionnaire: Questionnaire) -> None:
    require_role(actor, Role.ADMIN, ADMIN_ONLY)
    lock(questionnaire)
    if questionnaire.status != QuestionnaireStatus.DRAFT:
        raise Conflict(_l("Only a draft version can be edited: the questions of an open or "
                          "closed version never change. Make a new version from it."))


def _question(questionnaire: Questionnaire, key: str) -> Question:
    question = db.session.scalars(select(Question).where(
        Question.questionnaire_id == questionnaire.id, Question.key == key)).one_or_none()
    if question is None:
        raise NotFound(_l("No such question."))
    return question


def _text(raw: str, limit: int, field: str, *, required: bool = False) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationFailed(_l("This text holds a character that cannot be stored."),
                               field=field)
    if required and not text:
        raise ValidationFailed(_l("This text is required."), field=field)
    if len(text) > limit:
        raise ValidationFailed(_l("At most %(n)d characters (this has %(m)d).", n=limit,
                                  m=len(text)), field=field)
    return text


def parse_options(raw: str) -> list[dict[str, str]]:
    """Lines "code | English | French" into options; every refusal names the line."""
    options, seen = [], set()
    lines = [line for line in (raw or "").replace("\r\n", "\n").split("\n") if line.strip()]
    for number, line in enumerate(lines, start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValidationFailed(_l("Line %(n)d: write the code, the English label and the "
                                      "French label, separated by |.", n=number),
                                   field="options")
        code, en, fr = parts
        if not OPTION_CODE.match(code):
            raise ValidationFailed(_l("Line %(n)d: a code has lower-case letters, digits and "
                                      "_, starts with a letter and has at most 24 characters.",
                                      n=number), field="options")
        if code in seen:
            raise ValidationFailed(_l("Line %(n)d: the code “%(code)s” is used twice.",
                                      n=number, code=code), field="options")
        if max(len(en), len(fr)) > MAX_LABEL:
            raise ValidationFailed(_l("Line %(n)d: a label has at most %(max)d characters.",
                                      n=number, max=MAX_LABEL), field="options")
        seen.add(code)
        options.append({"code": code, "en": en, "fr": fr})
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise ValidationFailed(_l("Give between 2 and %(max)d options.", max=MAX_OPTIONS),
                               field="options")
    return options


def options_text(question: Question) -> str:
    """The options as the edit form shows them."""
    return "\n".join(f"{o['code']} | {o['en']} | {o['fr']}"
                     for o in json.loads(question.options_json))


def _bound(raw: str, field: str) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    number = decimal_of(raw)
    if number is None or abs(number) > DEFAULT_MAX_NUMBER:
        raise ValidationFailed(_l("Write a number between -%(max)s and %(max)s.",
                                  max=DEFAULT_MAX_NUMBER), field=field)
    return number


def _carried_values(question: Question) -> list[Any]:
    """The values of the answers carried into this draft, working and accepted alike."""
    return [revision.value for revision in db.session.scalars(
        select(AnswerRevision).join(Answer, AnswerRevision.answer_id == Answer.id)
        .where(Answer.question_id == question.id, AnswerRevision._value_json != ""))]


def _settings(question: Question, edit: QuestionEdit) -> dict[str, Any]:
    if question.qtype != "number":
        return {}
    low, high = _bound(edit.minimum, "minimum"), _bound(edit.maximum, "maximum")
    low = Decimal(0) if low is None else low
    high = DEFAULT_MAX_NUMBER if high is None else high
    if low > high:
        raise ValidationFailed(_l("The minimum is above the maximum."), field="minimum")
    outside = [v for v in _carried_values(question) if not low <= Decimal(str(v)) <= high]
    if outside:
        raise ValidationFailed(_l("%(n)d carried answer(s) fall outside this range: widen it, "
                                  "or ask the States to change them first.", n=len(outside)),
                               field="minimum")
    settings = {"unit_en": _text(edit.unit_en, MAX_UNIT, "unit_en"),
                "unit_fr": _text(edit.unit_fr, MAX_UNIT, "unit_fr"),
                "min": float(low) if low != low.to_integral_value() else int(low),
                "max": float(high) if high != high.to_integral_value() else int(high)}
    return {k: v for k, v in settings.items() if v != ""}


def _options(question: Question, edit: QuestionEdit) -> list[dict[str, str]]:
    if question.qtype not in ("single_choice", "multiple_choice"):
        return []
    options = parse_options(edit.options)
    kept = {o["code"] for o in options}
    used = {code for value in _carried_values(question) for code in codes_of(value)}
    dropped = sorted(used - kept)
    if dropped:
        raise ValidationFailed(_l("Carried answers use the option(s) %(codes)s: keep them (you "
                                  "may reword their labels).", codes=", ".join(dropped)),
                               field="options")
    return options


def _condition(questionnaire: Questionnaire, question: Question, edit: QuestionEdit
               ) -> tuple[str | None, list[str]]:
    key = (edit.condition_key or "").strip()
    if not key:
        return None, []
    target = db.session.scalars(select(Question).where(
        Question.questionnaire_id == questionnaire.id, Question.key == key)).one_or_none()
    if target is None or target.id == question.id or target.qtype not in CLOSED_TYPES:
        raise ValidationFailed(_l("A display condition names another closed question of this "
                                  "version (yes/no, yes/partly/no or a choice)."),
                               field="condition_key")
    if target.condition_key:
        raise ValidationFailed(_l("%(key)s is itself shown on a condition: a condition names a "
                                  "question that is always shown.", key=key),
                               field="condition_key")
    dependents = db.session.scalar(select(func.count(Question.id)).where(
        Question.questionnaire_id == questionnaire.id, Question.condition_key == question.key))
    if dependents:
        raise ValidationFailed(_l("Other questions are shown on a condition about this one: it "
                                  "must stay always shown."), field="condition_key")
    values = [v.strip() for v in (edit.condition_values or "").split(",") if v.strip()]
    codes = {code for code, _ in target.options}
    if not values or any(v not in codes for v in values):
        raise ValidationFailed(_l("Choose the answers of %(key)s that show this question, by "
                                  "their codes: %(codes)s.", key=key,
                                  codes=", ".join(c for c, _ in target.options)),
                               field="condition_values")
    return key, sorted(set(values), key=[c for c, _ in target.options].index)


def edit_question(actor: User | None, questionnaire: Questionnaire, key: str, edit: QuestionEdit
                  ) -> list[str]:
    """Change a draft's question; returns the names of what changed. If the question now
    asks something else, the carried answers to it need a new acceptance."""
    _require_draft(actor, questionnaire)
    question = _question(questionnaire, key)
    wanted = {
        "text_en": _text(edit.text_en, MAX_TEXT, "text_en", required=True),
        "text_fr": _text(edit.text_fr, MAX_TEXT, "text_fr", required=True),
        "help_en": _text(edit.help_en, MAX_HELP, "help_en"),
        "help_fr": _text(edit.help_fr, MAX_HELP, "help_fr"),
        "required": bool(edit.required),
        "comparable": bool(edit.comparable),
        "options_json": json.dumps(_options(question, edit), ensure_ascii=False),
        "settings_json": json.dumps(_settings(question, edit), ensure_ascii=False),
    }
    condition_key, condition_values = _condition(questionnaire, question, edit)
    wanted["condition_key"] = condition_key
    wanted["condition_values_json"] = json.dumps(condition_values)
    changed = sorted(k for k, v in wanted.items() if getattr(question, k) != v)
    if not changed:
        return []
    for name in changed:
        setattr(question, name, wanted[name])
    if set(changed) - {"required", "comparable", "help_en", "help_fr"}:
        _needs_new_acceptance(question)
    record("questionnaire.question_edited", actor=actor, object_type="questionnaire",
           object_id=questionnaire.public_id, details={"question": key, "changes": changed})
    db.session.commit()
    return changed


def _needs_new_acceptance(question: Question) -> None:
    """The carried answers to a question that now asks something else wait for the State
    and the Secretariat again; so do their responses."""
    accepted = select(Answer.response_id).where(Answer.question_id == question.id,
                                                Answer.accepted_revision.is_not(None))
    db.session.execute(update(Response).where(Response.id.in_(accepted),
                                              Response.status == ResponseStatus.ACCEPTED)
                       .values(status="draft").execution_options(synchronize_session=False))
    db.session.execute(update(Answer).where(Answer.question_id == question.id)
                       .values(accepted_revision=None, submitted_revision=None)
                       .execution_options(synchronize_session=False))


def add_question(actor: User | None, questionnaire: Questionnaire, section_code: str, number: str,
                 qtype: str, text_en: str, text_fr: str) -> Question:
    """A new question at the end of its section, key `<section>.<number>`; its options or
    settings are given by editing it next."""
    _require_draft(actor, questionnaire)
    section = next((s for s in questionnaire.sections if s.code == section_code), None)
    if section is None:
        raise ValidationFailed(_l("Choose a section from the list."), field="section")
    position = whole_number((number or "").strip(), 1, 99)
    if position is None:
        raise ValidationFailed(_l("Number the question from 1 to 99."), field="number")
    if qtype not in QUESTION_TYPES:
        raise ValidationFailed(_l("Choose a type from the list."), field="qtype")
    key = f"{section.code}.{position}"
    if any(q.key == key for q in questionnaire.questions):
        raise ValidationFailed(_l("%(key)s exists already in this version.", key=key),
                               field="number")
    last = max([q.position for q in section.questions] or
               [max([q.position for q in questionnaire.questions
                     if q.section.position < section.position] or [0])])
    for q in questionnaire.questions:
        if q.position > last:
            q.position += 1
    options = ([] if qtype not in ("single_choice", "multiple_choice") else
               [{"code": "other", "en": "Other", "fr": "Autre"},
                {"code": "none", "en": "None", "fr": "Aucun"}])
    question = Question(
        questionnaire=questionnaire, section=section, key=key, qtype=qtype,
        text_en=_text(text_en, MAX_TEXT, "text_en", required=True),
        text_fr=_text(text_fr, MAX_TEXT, "text_fr", required=True), position=last + 1,
        options_json=json.dumps(options), settings_json="{}", condition_values_json="[]")
    db.session.add(question)
    db.session.flush()
    record("questionnaire.question_added", actor=actor, object_type="questionnaire",
           object_id=questionnaire.public_id, details={"question": key, "type": qtype})
    db.session.commit()
    return question


def remove_question(actor: User | None, questionnaire: Questionnaire, key: str) -> int:
    """Remove a draft's question with the answers carried to it (the previous version keeps
    its own). Returns how many carried answers went with it."""
    _require_draft(actor, questionnaire)
    question = _question(questionnaire, key)
    dependents = sorted(db.session.scalars(select(Question.key).where(
        Question.questionnaire_id == questionnaire.id, Question.condition_key == key)))
    if dependents:
        raise Conflict(_l("%(keys)s are shown on a condition about this question: change "
                          "them first.", keys=", ".join(dependents)))
    answer_ids = select(Answer.id).where(Answer.question_id == question.id)
    carried = db.session.scalar(select(func.count()).select_from(answer_ids.subquery())) or 0
    db.session.execute(delete(AnswerRevision).where(AnswerRevision.answer_id.in_(answer_ids))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Answer).where(Answer.question_id == question.id)
                       .execution_options(synchronize_session=False))
    db.session.delete(question)
    record("questionnaire.question_removed", actor=actor, object_type="questionnaire",
           object_id=questionnaire.public_id, details={"question": key, "answers": carried})
    db.session.commit()
    return carried


def fixed_options(question: Question) -> bool:
    """Yes/no and yes/partly/no have their options built in."""
    return question.qtype in FIXED_OPTIONS
