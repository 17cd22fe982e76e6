"""One State as a reader may know it: its answers to the current questionnaire, its published
documents, its focal points as the directory shows them, and what changed recently.

Everything comes through each domain's own visibility rule (answers, documents, listings), so
the profile shows nothing its reader could not open elsewhere — a "Secretariat only" answer
and a listing its person took out of the directory stay out of it, as on their own pages.
The profile is a fixed number of statements, whatever the number of answers or documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coop_platform.auth.models import User
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.documents.models import Document, DocumentStatus
from coop_platform.documents.services.queries import DocumentFilter, list_documents
from coop_platform.questionnaires.models import Question, Questionnaire, Response, Section
from coop_platform.questionnaires.services import directory, reading
from coop_platform.questionnaires.services.directory import Listing
from coop_platform.questionnaires.services.reading import Cell
from coop_platform.questionnaires.services.visibility import sees_everything
from coop_platform.states.models import State

RECENT = timedelta(days=180)
DOCUMENTS_SHOWN = 10
CHANGES_SHOWN = 10


@dataclass
class Change:
    when: datetime
    kind: str  # "answers", "published" or "updated"
    questions: list[Question] = field(default_factory=list)  # answers written that day
    document: Document | None = None


@dataclass
class Profile:
    state: State
    reader: str  # "own", "secretariat" or "peer": which answers the profile shows
    questionnaire: Questionnaire | None = None
    response: Response | None = None  # its status, for the own State and the Secretariat
    sections: list[tuple[Section, list[Cell]]] = field(default_factory=list)
    asked: int = 0
    documents: list[Document] = field(default_factory=list)
    documents_total: int = 0
    listings: list[Listing] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(len(cells) for _section, cells in self.sections)


def profile(user: User, iso3: str) -> Profile:
    """The profile of a State this user may read (reading.readable_state: NotFound
    otherwise, as for its answers)."""
    state = reading.readable_state(user, iso3)
    reader = ("own" if user.state_id == state.id
              else "secretariat" if sees_everything(user) else "peer")
    found = Profile(state, reader)
    questionnaire = directory.current_questionnaire()
    if questionnaire is not None:
        found.questionnaire = questionnaire
        found.response = reading.response_status_for(user, questionnaire, state)
        shown = reading.state_response(user, questionnaire, state)
        found.asked = sum(len(cells) for _section, cells in shown)
        found.sections = [(section, answered) for section, cells in shown
                          if (answered := [c for c in cells if c.answered])]
        found.listings = directory.listings(user, questionnaire, state_id=state.id)
    documents = list_documents(user, DocumentFilter(state=state.iso3, status="published"),
                               page=1, per_page=DOCUMENTS_SHOWN)
    found.documents, found.documents_total = list(documents.items), documents.total or 0
    found.changes = _changes(found)
    return found


def _changes(found: Profile) -> list[Change]:
    """Answers written (one entry per day, naming the questions) and documents published or
    updated in the last six months, newest first; an answer counts at the date of the text
    the reader sees."""
    since = utcnow() - RECENT
    by_day: dict[object, Change] = {}
    for _section, cells in found.sections:
        for cell in cells:
            saved = as_utc(cell.revision.saved_at) if cell.revision is not None else None
            if saved is None or saved < since:
                continue
            day = by_day.setdefault(saved.date(), Change(saved, "answers"))
            day.when = max(day.when, saved)
            day.questions.append(cell.question)
    changes = list(by_day.values())
    for document in found.documents:
        # Publication sets revised_at too; a later one is an accepted revision.
        last = document.revised_at or document.published_at
        if document.status != DocumentStatus.PUBLISHED or last is None or as_utc(last) < since:
            continue
        updated = document.published_at is not None and as_utc(last) > as_utc(
            document.published_at)
        changes.append(Change(as_utc(last), "updated" if updated else "published",
                              document=document))
    return sorted(changes, key=lambda c: c.when, reverse=True)[:CHANGES_SHOWN]
