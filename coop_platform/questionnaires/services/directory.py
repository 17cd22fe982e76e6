"""The directory of focal points: the contact answers of section A of the newest questionnaire
version, as each reader may see them (the one visibility rule), with their last-confirmed
date.

A listed person is in control of their listing once they have confirmed it is theirs:
whoever signs in with the e-mail address a listing gives is asked whether it is them; once
they confirm, they may take their listings out of the directory, put them back, and — as a
focal point of that State — confirm or correct them. A listing taken out stays visible to
its own State and to the Secretariat, who keep the questionnaire's answer; other States and
the Court no longer see it in the directory, nor its e-mail and phone anywhere else
(contacts.as_read). A listing its person has not confirmed is the State's alone: naming
someone's address gives them no say, and tells the State nothing of their choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import NotFound
from coop_platform.core.rows import changed_rows
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    ListingClaim,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Response,
    Section,
)
from coop_platform.questionnaires.services import contacts
from coop_platform.questionnaires.services.reading import is_stale
from coop_platform.questionnaires.services.visibility import visible_answers
from coop_platform.states.models import State, by_display_name

SECTION = "A"


@dataclass
class Listing:
    state: State
    question: Question
    revision: AnswerRevision
    hidden: bool  # its confirmed person took it out of the directory
    mine: bool  # the listing gives the reader's own address
    claimed: bool  # ... and the reader confirmed it is them

    @property
    def contact(self) -> dict[str, Any]:
        contact: dict[str, Any] = self.revision.value
        return contact

    @property
    def stale(self) -> bool:
        return is_stale(self.revision)


def current_questionnaire() -> Questionnaire | None:
    """The newest version that is not a draft (its answers carry the older ones forward)."""
    return db.session.scalars(
        select(Questionnaire).where(Questionnaire.status != QuestionnaireStatus.DRAFT)
        .order_by(Questionnaire.opened_at.desc().nulls_last(), Questionnaire.version.desc())
        .limit(1)).one_or_none()


def _claims_of(user: User) -> set[tuple[int, str]]:
    return set(db.session.execute(select(ListingClaim.state_id, ListingClaim.question_key)
                                  .where(ListingClaim.user_id == user.id)).all())


def _contact_rows(user: User, questionnaire: Questionnaire, group: str = "",
                  state_id: int | None = None) -> list[tuple[State, Question, AnswerRevision]]:
    stmt = (visible_answers(user).add_columns(State, Question)
            .join(Question, Answer.question_id == Question.id)
            .join(Section, Question.section_id == Section.id)
            .where(Response.questionnaire_id == questionnaire.id, Section.code == SECTION,
                   Question.qtype == "contact"))
    if group:
        stmt = stmt.where(State.regional_group == group)
    if state_id is not None:
        stmt = stmt.where(State.id == state_id)
    return [(state, question, revision) for _a, revision, state, question
            in db.session.execute(stmt) if revision.value is not None]


def listings(user: User, questionnaire: Questionnaire, group: str = "",
             state_id: int | None = None) -> list[Listing]:
    """Every contact listing this user may read (of one regional group, of one State), by
    State name then question order."""
    rows = _contact_rows(user, questionnaire, group, state_id)
    hidden = contacts.hidden_listings(
        (state.id, question.key, contacts.listed_email(revision))
        for state, question, revision in rows)
    claims = _claims_of(user)
    found = []
    for state, question, revision in rows:
        email = contacts.listed_email(revision)
        taken_out = (state.id, question.key) in hidden
        if taken_out and not contacts.reads_in_full(user, state.id, email):
            continue
        mine = contacts.is_the_person(user, email)
        found.append(Listing(state, question, revision, taken_out, mine,
                             mine and (state.id, question.key) in claims))
    order = {s.id: i for i, s in enumerate(by_display_name({lst.state for lst in found}))}
    return sorted(found, key=lambda lst: (order[lst.state.id], lst.question.position))


def claim(user: User, questionnaire: Questionnaire, iso3: str, key: str) -> bool:
    """The user confirms that a listing they can read, which gives their own address, is
    them. Returns whether it was new (confirming twice, even at once, is one claim)."""
    listing = next((lst for lst in listings(user, questionnaire)
                    if lst.state.iso3 == iso3 and lst.question.key == key and lst.mine),
                   None)
    if listing is None:
        raise NotFound(_l("No listing of yours there."))
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING says whether a row was inserted (psycopg reports rowcount -1 for this).
    added = db.session.execute(insert(ListingClaim).values(
        user_id=user.id, state_id=listing.state.id, question_key=key, claimed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "state_id", "question_key"])
        .returning(ListingClaim.id)).first() is not None
    if added:
        record("directory.listing_claimed", actor=user, object_type="state",
               object_id=iso3, state_id=listing.state.id, details={"question": key})
    db.session.commit()
    return bool(added)


def set_hidden(user: User, hidden: bool) -> bool:
    """Take the user's confirmed listings out of the directory, or put them back. Returns
    whether anything changed (a repeated click changes nothing and records nothing)."""
    changed = changed_rows(
        update(User).where(User.id == user.id, User.directory_hidden.is_not(hidden))
        .values(directory_hidden=hidden))
    if changed:
        record("directory.listing_hidden" if hidden else "directory.listing_shown", actor=user,
               object_type="user", object_id=user.id)
    db.session.commit()
    return bool(changed)
