"""What the search service and its two backends agree on: the question (`Ask`), the answer
(`Found` of `Hit`s), and `SearchBackend`, the operations each backend offers.

Both backends take the same parsed query (query.py), the same reader and the same `Ask`, and
answer the same `Found`; the service (services.py) never asks which one it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from coop_platform.auth.models import User

FACETS = ("state", "group", "section", "question", "topic", "type", "lang")
KINDS = ("answer", "document")
# Set in a session's `info` by the index's own writers: their commits change no content.
INTERNAL = "spc_search_internal"
# Set in a session's `info` when its commit left changes for the embedded index to apply.
DRAIN_AFTER_COMMIT = "spc_search_drain"


class SearchUnavailable(Exception):
    """The index cannot answer now (being rebuilt); say so, try again shortly."""


@dataclass
class Hit:
    kind: str
    ref: int  # answer id or document id
    revision: int  # answer revision number; document version number
    date: datetime | None = None


@dataclass
class Found:
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    timed_out: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Ask:
    """One search: the tree (with the page's filters folded in), which kinds, order, page."""

    tree: object
    kinds: tuple[str, ...]
    order: str  # relevance | date
    offset: int
    limit: int
    words: tuple[str, ...] = ()


class SearchBackend(Protocol):
    """An index of answers and documents. Each backend is a module that provides these."""

    NAME: str

    def search(self, app: Flask, user: User, ask: Ask, notices: list[str],
               facets: bool = True) -> Found:
        """The page of hits the user may see, with counts and (unless `facets` is False)
        facet counts; `notices` receives what the reader should be told (a prefix too
        broad, ...)."""

    def vocabulary_near(self, app: Flask, word: str) -> list[str]:
        """Indexed words spelled like `word`, closest first (for "did you mean")."""

    def record_changes(self, session: Session, subjects: set[tuple[str, int]]) -> None:
        """Called before a transaction that changed content commits, with what it changed:
        index it now, or note it for `apply_pending`."""

    def apply_pending(self, app: Flask, lock_timeout: float) -> int:
        """Apply changes noted and not yet indexed; how many were applied."""

    def rebuild(self, app: Flask, wait: bool = False) -> int:
        """The whole index again from the database; how many entries it holds."""

    def remove_leftovers(self, app: Flask) -> int:
        """Remove what an interrupted rebuild left behind; how many things were removed."""

    def status(self, app: Flask) -> dict[str, Any]:
        """The backend's health: name, entries, changes waiting."""

    def snapshot(self, app: Flask) -> set[tuple[Any, ...]]:
        """Every entry in a comparable form (a rebuild must give the same set)."""
