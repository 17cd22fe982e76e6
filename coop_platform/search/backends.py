"""Which index answers: `SPC_SEARCH_BACKEND` = whoosh | postgresql; unset, PostgreSQL when the
database is PostgreSQL (it scales with the database and its replicas, follows commits in the
same transaction and needs no index files shared between hosts), Whoosh otherwise.

Both take the same parsed query (query.py) and the same reader, and answer the same `Found`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FACETS = ("state", "group", "section", "question", "topic", "type", "lang")
KINDS = ("answer", "document")


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


def configured_name(app, session=None) -> str:
    name = (app.config.get("SEARCH_BACKEND") or "").strip().lower()
    if name in ("whoosh", "postgresql"):
        return name
    from coop_platform.extensions import db

    bind = session.get_bind() if session is not None else db.engine
    return "postgresql" if bind.dialect.name == "postgresql" else "whoosh"


def backend(app):
    if configured_name(app) == "postgresql":
        from coop_platform.search import pg_backend

        return pg_backend
    from coop_platform.search import whoosh_backend

    return whoosh_backend
