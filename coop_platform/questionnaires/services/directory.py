"""The directory of focal points: the contact answers of section A of the newest questionnaire
version, as each reader may see them (the one visibility rule), with their last-confirmed
date.

A listed person is in control of their listing: whoever signs in with the e-mail address a
listing gives is told it is theirs, may take it out of the directory, put it back, and — as
a focal point of that State — confirm or correct it. A listing taken out stays visible to
its own State and to the Secretariat, who keep the questionnaire's answer; other States and
the Court no longer see it in the directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    Response,
    Section,
)
from coop_platform.questionnaires.services.reading import is_stale
from coop_platform.questionnaires.services.visibility import sees_everything, visible_answers
from coop_platform.states.models import State, by_display_name

SECTION = "A"


@dataclass
class Listing:
    state: State
    question: Question
    revision: AnswerRevision
    hidden: bool  # the listed person took it out of the directory
    mine: bool  # the reader is the listed person

    @property
    def contact(self) -> dict:
        return self.revision.value

    @property
    def stale(self) -> bool:
        return is_stale(self.revision)


def current_questionnaire() -> Questionnaire | None:
    """The newest version that is not a draft (its answers carry the older ones forward)."""
    return db.session.scalars(
        select(Questionnaire).where(Questionnaire.status != "draft")
        .order_by(Questionnaire.opened_at.desc().nulls_last(), Questionnaire.version.desc())
        .limit(1)).one_or_none()


def _same_person(user: User, email: str) -> bool:
    return bool(email) and user.email.casefold() == email.casefold()


def listings(user: User, questionnaire: Questionnaire, group: str = "") -> list[Listing]:
    """Every contact listing this user may read, by State name then question order."""
    stmt = (visible_answers(user).add_columns(State, Question)
            .join(Question, Answer.question_id == Question.id)
            .join(Section, Question.section_id == Section.id)
            .where(Response.questionnaire_id == questionnaire.id, Section.code == SECTION,
                   Question.qtype == "contact"))
    if group:
        stmt = stmt.where(State.regional_group == group)
    rows = [(state, question, revision) for _a, revision, state, question
            in db.session.execute(stmt) if revision.value is not None]
    emails = {(r.value.get("email") or "").casefold() for _s, _q, r in rows} - {""}
    hidden = set(db.session.scalars(select(func.lower(User.email)).where(
        User.directory_hidden.is_(True), func.lower(User.email).in_(emails)))) if emails else set()
    found = []
    for state, question, revision in rows:
        email = (revision.value.get("email") or "").casefold()
        mine = _same_person(user, email)
        taken_out = email in hidden
        if taken_out and not (mine or sees_everything(user) or user.state_id == state.id):
            continue
        found.append(Listing(state, question, revision, taken_out, mine))
    order = {s.id: i for i, s in enumerate(by_display_name({lst.state for lst in found}))}
    return sorted(found, key=lambda lst: (order[lst.state.id], lst.question.position))


def set_hidden(user: User, hidden: bool) -> bool:
    """Take the user's listings out of the directory, or put them back. Returns whether
    anything changed (a repeated click changes nothing and records nothing)."""
    changed = db.session.execute(
        update(User).where(User.id == user.id, User.directory_hidden.is_not(hidden))
        .values(directory_hidden=hidden)).rowcount
    if changed:
        record("directory.listing_hidden" if hidden else "directory.listing_shown", actor=user,
               object_type="user", object_id=user.id)
    db.session.commit()
    return bool(changed)
