"""The one rule for a listed person's contact details: who may read their e-mail and phone.

A contact answer lists a person by e-mail address. The listing is that person's once they,
signed in with that address, have confirmed it (a `ListingClaim`). A person who took their
listings out of the directory (`User.directory_hidden`) has the e-mail and phone of every
listing they confirmed withheld from every reader but the listing's own State, the
Secretariat and themselves: on every page, print view, export and search result, which all
read answers through `as_read` (the directory leaves such listings out altogether). The
other parts of the answer — the authority, the position, the languages — are the State's
and stay. Search never indexes e-mail addresses or phone numbers (search/texts.py), so
nobody finds a listing by its address.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.core.authz import Role
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, ListingClaim
from coop_platform.questionnaires.services.visibility import sees_everything
from coop_platform.questionnaires.values import (
    PERSONAL_PARTS,
    WITHHELD,
    WITHHELD_TEXT,
    remarks_without_personal,
)


def listed_email(revision: AnswerRevision | None) -> str:
    """The address a contact revision lists, folded for comparison ('' when none)."""
    value = revision.value if revision is not None else None
    return (value.get("email") or "").casefold() if isinstance(value, dict) else ""


def is_the_person(user: User, email: str) -> bool:
    return bool(email) and user.email.casefold() == email


def reads_in_full(user: User, state_id: int, email: str) -> bool:
    """The listing's own State, the Secretariat and the listed person read it whole."""
    return (sees_everything(user) or (user.role == Role.FOCAL_POINT and user.state_id == state_id)
            or is_the_person(user, email))


def hidden_listings(listings: Iterable[tuple[int, str, str]]) -> set[tuple[int, str]]:
    """Of these (State id, question key, listed address) the (State id, question key) whose
    listed person confirmed the listing and took it out of the directory. One query."""
    wanted = {(state_id, key): email for state_id, key, email in listings if email}
    if not wanted:
        return set()
    rows = db.session.execute(
        select(ListingClaim.state_id, ListingClaim.question_key, User)
        .join(User, ListingClaim.user_id == User.id)
        .where(User.directory_hidden.is_(True),
               ListingClaim.state_id.in_({s for s, _ in wanted}),
               ListingClaim.question_key.in_({k for _, k in wanted})))
    return {(state_id, key) for state_id, key, user in rows
            if wanted.get((state_id, key)) == user.email.casefold()}


class WithheldContact:
    """A contact revision as read by someone its listed person hid it from: the same
    revision without the person's e-mail and phone, in its value and in its remarks."""

    def __init__(self, revision: AnswerRevision) -> None:
        self._revision = revision

    @property
    def value(self) -> dict[str, Any]:
        value = {k: v for k, v in self._revision.value.items() if k not in PERSONAL_PARTS}
        value[WITHHELD] = True
        return value

    @property
    def remarks(self) -> str:
        return remarks_without_personal(self._revision.value, self._revision.remarks,
                                        f"({WITHHELD_TEXT})")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._revision, name)


def as_read(user: User, items: list[tuple[Answer, AnswerRevision, int]]
            ) -> list[ReadRevision]:
    """What `user` reads of each (answer, revision it may see, State id): the revision, or
    the revision without its person's contact details. In the order given."""
    candidates = []
    for answer, revision, state_id in items:
        email = listed_email(revision) if answer.question.qtype == "contact" else ""
        if email and not reads_in_full(user, state_id, email):
            candidates.append((state_id, answer.question.key, email))
    hidden = hidden_listings(candidates)
    return [WithheldContact(revision) if (state_id, answer.question.key) in hidden
            and revision is not None else revision for answer, revision, state_id in items]


# What a reader is handed for an answer: the revision itself, or it without the contact details.
ReadRevision = AnswerRevision | WithheldContact
