"""The cooperation questionnaire: versions, sections, questions; one response per State and
version; answers whose every saved revision is kept.

An answer's content lives in its revisions. Three pointers on the answer say which revision
each reader sees: `revision` (the State's working copy), `submitted_revision` (what the
Secretariat was last sent) and `accepted_revision` (what peers read). A revision in progress
therefore never hides the accepted text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop_platform.core.clock import utcnow
from coop_platform.crypto.fields import Sealed
from coop_platform.extensions import Model
from coop_platform.states.models import State


class QuestionnaireStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


QUESTIONNAIRE_STATUSES: dict[str, Any] = {QuestionnaireStatus.DRAFT: _l("Draft"),
                          QuestionnaireStatus.OPEN: _l("Open"),
                          QuestionnaireStatus.CLOSED: _l("Closed")}
QUESTION_TYPES = {
    "yes_no": _l("Yes / no"),
    "yes_partly_no": _l("Yes / partly / no"),
    "single_choice": _l("Single choice"),
    "multiple_choice": _l("Multiple choice"),
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "legal_reference": _l("Legal reference"),
    "number": _l("Number"),
    "date": _l("Date"),
    "contact": _l("Contact"),
}
# Closed questions: their answers are codes that can be counted and filtered.
CLOSED_TYPES = ("yes_no", "yes_partly_no", "single_choice", "multiple_choice")
FIXED_OPTIONS = {
    "yes_no": (("yes", _l("Yes")), ("no", _l("No"))),
    "yes_partly_no": (("yes", _l("Yes")), ("partly", _l("Partly")), ("no", _l("No"))),
}
RESPONSE_STATUSES: dict[str, Any] = {
    ResponseStatus.DRAFT: _l("Being prepared"),
    ResponseStatus.SUBMITTED: _l("Submitted"),
    ResponseStatus.RETURNED: _l("Returned"),
    ResponseStatus.ACCEPTED: _l("Accepted"),
    ResponseStatus.REJECTED: _l("Rejected"),
}
CONTENT_LANGUAGES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish"),
                     "ar": _l("Arabic"), "ru": _l("Russian"), "zh": _l("Chinese"),
                     "other": _l("Other")}


def _in(values: Iterable[str]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


def localized(en: str, fr: str) -> str:
    locale = get_locale()
    return fr if locale is not None and locale.language == "fr" and fr else en


class Questionnaire(Model):
    __tablename__ = "questionnaires"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(QUESTIONNAIRE_STATUSES)}", name="status"),
        UniqueConstraint("family", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    # Versions of one questionnaire share a family ("cooperation") and count up.
    family: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    cloned_from_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sections: Mapped[list[Section]] = relationship(
        back_populates="questionnaire", order_by="Section.position",
        cascade="all, delete-orphan")
    questions: Mapped[list[Question]] = relationship(
        back_populates="questionnaire", order_by="Question.position",
        cascade="all, delete-orphan", viewonly=False)

    @property
    def title(self) -> str:
        return localized(self.title_en, self.title_fr)

    @property
    def status_label(self) -> str:
        return str(QUESTIONNAIRE_STATUSES[self.status])


class Section(Model):
    __tablename__ = "questionnaire_sections"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    code: Mapped[str] = mapped_column(String(4))
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(back_populates="section",
                                                     order_by="Question.position")

    @property
    def title(self) -> str:
        return localized(self.title_en, self.title_fr)


class Question(Model):
    """Immutable once its questionnaire is open: a change is a new questionnaire version."""

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(f"qtype IN {_in(QUESTION_TYPES)}", name="qtype"),
        UniqueConstraint("questionnaire_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_sections.id"), index=True)
    key: Mapped[str] = mapped_column(String(12))  # stable across versions: "D.3"
    qtype: Mapped[str] = mapped_column(String(16))
    text_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)
    help_en: Mapped[str] = mapped_column(Text, default="")
    help_fr: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    comparable: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer)
    # [{"code": "police", "en": "...", "fr": "..."}] for single and multiple choice.
    options_json: Mapped[str] = mapped_column(Text, default="[]")
    # {"unit_en": "days", "unit_fr": "jours", "min": 0, "max": 3650} for numbers.
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    # Shown only when the question `condition_key` has one of `condition_values` as answer.
    condition_key: Mapped[str | None] = mapped_column(String(12))
    condition_values_json: Mapped[str] = mapped_column(Text, default="[]")

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    section: Mapped[Section] = relationship(back_populates="questions")

    @property
    def text(self) -> str:
        return localized(self.text_en, self.text_fr)

    @property
    def help(self) -> str:
        return localized(self.help_en, self.help_fr)

    @property
    def options(self) -> list[tuple[str, str]]:
        """(code, label in the reader's language) for closed questions. Kept on the object for
        its locale and options (an administrator may edit a draft's): a comparison asks for
        them once per State shown."""
        key = (str(get_locale()), self.qtype, self.options_json)
        kept = self.__dict__.get("_options_read")
        if kept is not None and kept[0] == key:
            return list(kept[1])
        if self.qtype in FIXED_OPTIONS:
            found = [(code, str(label)) for code, label in FIXED_OPTIONS[self.qtype]]
        else:
            found = [(o["code"], localized(o["en"], o["fr"]))
                     for o in json.loads(self.options_json)]
        self.__dict__["_options_read"] = (key, tuple(found))
        return found

    @property
    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = json.loads(self.settings_json)
        return settings

    @property
    def unit(self) -> str:
        s = self.settings
        return localized(s.get("unit_en", ""), s.get("unit_fr", ""))

    @property
    def condition_values(self) -> list[str]:
        values: list[str] = json.loads(self.condition_values_json)
        return values

    @property
    def is_closed(self) -> bool:
        return self.qtype in CLOSED_TYPES


class Response(Model):
    """One State's response to one questionnaire version."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(RESPONSE_STATUSES)}", name="status"),
        UniqueConstraint("questionnaire_id", "state_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    _review_comment: Mapped[str] = mapped_column("review_comment", Text, default="")
    review_comment = Sealed("_review_comment", "answers")
    # {question key: revision} the Secretariat decided on last, to show what changed since.
    reviewed_revisions_json: Mapped[str] = mapped_column(Text, default="")
    # When the State's focal points were last reminded of answers nearly a year unconfirmed.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    questionnaire: Mapped[Questionnaire] = relationship()
    state: Mapped[State] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(back_populates="response")

    @property
    def status_label(self) -> str:
        return str(RESPONSE_STATUSES[self.status])


class Answer(Model):
    """One question of one response. Its content is in `AnswerRevision`."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    # 0 = never answered. Each save adds one, in one conditional UPDATE (no lost update).
    revision: Mapped[int] = mapped_column(Integer, default=0)
    submitted_revision: Mapped[int | None] = mapped_column(Integer)
    accepted_revision: Mapped[int | None] = mapped_column(Integer)
    # Whether peers are kept from the accepted text: set at once when a revision is saved
    # with "Secretariat only" (narrowing), cleared only when the Secretariat accepts a
    # revision saved without it (widening is its decision).
    secretariat_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Secretariat's comment when it returned the response, for this question.
    _review_comment: Mapped[str] = mapped_column("review_comment", Text, default="")
    review_comment = Sealed("_review_comment", "answers")

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship(lazy="joined")


class AnswerRevision(Model):
    """One saved state of an answer; never changed afterwards, except its confirmation date
    (a one-click "still accurate")."""

    __tablename__ = "answer_revisions"
    __table_args__ = (UniqueConstraint("answer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Sealed (crypto/fields.py); an answer not given ("null") is stored empty.
    _value_json: Mapped[str] = mapped_column("value_json", Text, default="")
    value_json = Sealed("_value_json", "answers", empty="null")
    _remarks: Mapped[str] = mapped_column("remarks", Text, default="")
    remarks = Sealed("_remarks", "answers")
    language: Mapped[str] = mapped_column(String(8), default="en")
    secretariat_only: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Carried forward from the previous questionnaire version (by question key).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("answer_revisions.id"))

    answer: Mapped[Answer] = relationship()

    @property
    def value(self) -> Any:
        return json.loads(self.value_json)



FOLLOW_KINDS = {"state": _l("State"), "question": _l("Question")}


class Follow(Model):
    """A user follows a State's answers or a question (by key, in every version): they are
    told when an accepted answer they may read changes."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(FOLLOW_KINDS)}", name="kind"),
        UniqueConstraint("user_id", "kind", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    # A State's ISO 3166 alpha-3 code, or a question key ("D.3").
    target: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ListingClaim(Model):
    """A person's word that a contact answer of a State lists them (by State and question key,
    so it holds in every version). Only a listing its person confirmed is theirs: a State
    that names someone's address gives that person no say over it, and learns nothing of
    their choices."""

    __tablename__ = "listing_claims"
    __table_args__ = (UniqueConstraint("user_id", "state_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"))
    question_key: Mapped[str] = mapped_column(String(12))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
