"""Reading answers through the one visibility rule: a State's response, the comparison of one
question across States, the grid of States × questions, the staleness list.

Each page is a fixed number of SQL statements whatever the number of States: the visible
answers of the wanted questions in one query, the States in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.core import reminders
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import NotFound
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    Question,
    Questionnaire,
    Response,
    Section,
)
from coop_platform.questionnaires.services import contacts
from coop_platform.questionnaires.services.contacts import ReadRevision
from coop_platform.questionnaires.services.visibility import (
    readable_states,
    sees_everything,
    visible_answers,
)
from coop_platform.questionnaires.values import codes_of, is_shown
from coop_platform.states.models import REGIONAL_GROUPS, State, by_display_name
from coop_platform.states.services import get_state

STALE_AFTER = reminders.STALE_AFTER


def is_stale(revision: ReadRevision | None, now: datetime | None = None) -> bool:
    return revision is not None and as_utc(revision.confirmed_at) < (now or utcnow()) - STALE_AFTER


@dataclass
class Cell:
    state: State
    question: Question
    revision: ReadRevision | None

    @cached_property
    def value(self) -> Any:
        # Read once: a revision's value is opened and parsed at every access, and a page or
        # an export asks each cell several times (answered, codes, text, summary).
        return self.revision.value if self.revision is not None else None

    @property
    def answered(self) -> bool:
        return self.value is not None

    @property
    def stale(self) -> bool:
        return is_stale(self.revision)


def question_by_key(questionnaire: Questionnaire, key: str) -> Question:
    question = next((q for q in questionnaire.questions if q.key == key), None)
    if question is None:
        raise NotFound(_l("No such question."))
    return question


def _visible_revisions(user: User, questionnaire: Questionnaire, question_ids: list[int],
                       state_id: int | None = None) -> dict[tuple[int, int], ReadRevision]:
    """{(state id, question id): revision} through the visibility rule, each as this user
    may read it (a hidden listing's contact details withheld: contacts.as_read)."""
    stmt = (visible_answers(user)
            .add_columns(Response.state_id)
            .where(Response.questionnaire_id == questionnaire.id))
    stmt = stmt.where(Answer.question_id.in_(question_ids))
    if state_id is not None:
        stmt = stmt.where(Response.state_id == state_id)
    rows = db.session.execute(stmt).all()
    shown = contacts.as_read(user, [(answer, revision, state) for answer, revision, state in rows])
    return {(state, answer.question_id): seen
            for (answer, _revision, state), seen in zip(rows, shown, strict=True)}


def state_response(user: User, questionnaire: Questionnaire, state: State
                   ) -> list[tuple[Section, list[Cell]]]:
    """[(section, [cells])] of one State as this user may see it; questions whose display
    condition does not hold for the State's answers are left out."""
    found = _visible_revisions(user, questionnaire, [q.id for q in questionnaire.questions],
                               state.id)
    values = {q.key: found[(state.id, q.id)].value for q in questionnaire.questions
              if (state.id, q.id) in found}
    return [(section, [Cell(state, q, found.get((state.id, q.id)))
                       for q in section.questions if is_shown(q, values)])
            for section in questionnaire.sections]


def response_status_for(user: User, questionnaire: Questionnaire, state: State
                        ) -> Response | None:
    """The response row, for its own State and the Secretariat only (peers are not told
    whether a State has a draft)."""
    if sees_everything(user) or user.state_id == state.id:
        return db.session.scalars(select(Response).where(
            Response.questionnaire_id == questionnaire.id,
            Response.state_id == state.id)).one_or_none()
    return None


def response_statuses(user: User, questionnaire: Questionnaire) -> dict[int, str]:
    """{State id: what this user may know of its response}: for the Secretariat, and for a
    focal point about its own State, the response's status; for peers, "accepted" when the
    State has an accepted answer they may read — never whether it has a draft. A State
    without an entry has nothing the reader may know of. Two statements, whatever the number
    of States."""
    known: dict[int, str] = {}
    if not sees_everything(user):
        readable = (visible_answers(user).with_only_columns(Response.state_id).distinct()
                    .where(Response.questionnaire_id == questionnaire.id))
        known = dict.fromkeys(db.session.scalars(readable), "accepted")
    own = select(Response.state_id, Response.status).where(
        Response.questionnaire_id == questionnaire.id)
    if not sees_everything(user):
        own = own.where(Response.state_id == (user.state_id or -1))
    known.update({state_id: status for state_id, status in db.session.execute(own)})
    return known


@dataclass
class ComparisonFilter:
    group: str = ""
    value: str = ""  # an option code, "none" (not answered) or "stale"

    def keeps(self, cell: Cell) -> bool:
        if self.group and cell.state.regional_group != self.group:
            return False
        if self.value == "none":
            return not cell.answered
        if self.value == "stale":
            return cell.stale
        if self.value:
            return self.value in codes_of(cell.value)
        return True


@dataclass
class Comparison:
    question: Question
    cells: list[Cell]
    counts: dict[str, int] = field(default_factory=dict)  # option code or "none" -> States
    stale: int = 0
    # {regional group: {option code or "none": States}}, the same counts group by group.
    by_group: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def answered(self) -> list[Cell]:
        return [c for c in self.cells if c.answered]

    @property
    def unanswered(self) -> list[State]:
        return [c.state for c in self.cells if not c.answered]


def readable_state(user: User, iso3: str) -> State:
    """The State whose answers this user may open; NotFound otherwise (an inactive State is
    out of peers' reach altogether)."""
    state = get_state(iso3)
    if not db.session.scalar(readable_states(user).with_only_columns(State.id)
                             .where(State.id == state.id)):
        raise NotFound(_l("No such State."))
    return state


def states_for(user: User) -> list[State]:
    return by_display_name(db.session.scalars(readable_states(user)))


def compare(user: User, questionnaire: Questionnaire, key: str,
            flt: ComparisonFilter) -> Comparison:
    """Every visible State's answer to one question. Counts are over the States of the
    chosen regional group, before the value filter (so they explain it)."""
    question = question_by_key(questionnaire, key)
    states = states_for(user)
    found = _visible_revisions(user, questionnaire, [question.id])
    cells = [Cell(s, question, found.get((s.id, question.id))) for s in states]
    in_group = [c for c in cells if not flt.group or c.state.regional_group == flt.group]
    by_group = {group: counts(question, [c for c in in_group
                                          if c.state.regional_group == group])
                for group in REGIONAL_GROUPS if not flt.group or group == flt.group}
    # Answered first (in the States' order), the others after them.
    kept = sorted((c for c in cells if flt.keeps(c)), key=lambda c: not c.answered)
    return Comparison(question, kept, counts(question, in_group),
                      sum(1 for c in in_group if c.stale), by_group)


def counts(question: Question, cells: list[Cell]) -> dict[str, int]:
    """{option code: States that chose it, "none": States without a visible answer}; a
    multiple-choice answer counts once for each option it chose."""
    found = {code: 0 for code, _ in question.options} if question.is_closed else {}
    found["none"] = 0
    for cell in cells:
        if not cell.answered:
            found["none"] += 1
        for code in codes_of(cell.value) if question.is_closed else ():
            found[code] = found.get(code, 0) + 1
    return found


MAX_GRID_QUESTIONS = 10


def grid(user: User, questionnaire: Questionnaire, keys: list[str], group: str = ""
         ) -> tuple[list[Question], list[tuple[State, list[Cell]]]]:
    questions = [question_by_key(questionnaire, k) for k in dict.fromkeys(keys)]
    states = [s for s in states_for(user) if not group or s.regional_group == group]
    found = _visible_revisions(user, questionnaire, [q.id for q in questions])
    return questions, [(s, [Cell(s, q, found.get((s.id, q.id))) for q in questions])
                       for s in states]


def answered_rows(rows: list[tuple[State, list[Cell]]]
                  ) -> tuple[list[tuple[State, list[Cell]]], list[State]]:
    """The grid's rows of States that answered at least one of its questions, and the other
    States (shown once, not as rows of "Not answered")."""
    answered = [(state, cells) for state, cells in rows if any(c.answered for c in cells)]
    return answered, [state for state, cells in rows if not any(c.answered for c in cells)]

