"""PostgreSQL's vocabulary for "did you mean": every indexed word once, sealed under the
"index" key and bound to its own keyed token (which keeps each word once, as a blind index
keeps an address, without showing it). Opened in memory when first wanted, then only what
was added since is read again.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from coop_platform.crypto.keyring import DecryptionError
from coop_platform.extensions import keyring
from coop_platform.search.keyed import PURPOSE, keyer
from coop_platform.search.models import SearchWord

log = logging.getLogger(__name__)
FIELD = "vocabulary"


def _context(token: str) -> bytes:
    return f"search-word|{token}".encode()


def add(session: Session, words: Iterable[str]) -> None:
    """Add the words not yet kept. Only the missing ones are sealed; rows go in token order,
    so two transactions adding the same words wait for each other instead of deadlocking."""
    key = keyer(FIELD)
    tokens = {key(w): w for w in words}
    if not tokens:
        return
    present = set(session.scalars(text("SELECT token FROM search_words WHERE token = ANY(:t)"),
                                  {"t": list(tokens)}))
    missing = sorted(t for t in tokens if t not in present)
    if not missing:
        return
    ring = keyring()
    session.execute(insert(SearchWord).on_conflict_do_nothing(index_elements=["token"]),
                    [{"token": t, "sealed_word": ring.encrypt(PURPOSE, tokens[t].encode(),
                                                              _context(t))}
                     for t in missing])


@dataclass
class _Kept:
    rows: int = 0
    last_id: int = 0
    words: dict[str, str] = field(default_factory=dict)  # token -> word
    listed: list[str] = field(default_factory=list)  # the words, sorted


_kept: dict[str, _Kept] = {}
_lock = threading.Lock()


def words(session: Session) -> list[str]:
    """Every word, sorted. The rows added since the last call are read and opened; when the
    count says rows went away (a rebuild) or an earlier one committed late, all again."""
    bind = session.get_bind()
    scope = f"{bind.engine.url.render_as_string(hide_password=True)}|{keyring().directory}"
    count, last_id = session.execute(
        select(func.count(), func.coalesce(func.max(SearchWord.id), 0))).one()
    with _lock:
        kept = _kept.get(scope) or _Kept()
    if kept.rows == count and kept.last_id == last_id:
        return kept.listed
    fresh = _read(session, kept.last_id)
    if kept.rows + fresh.rows == count and fresh.last_id >= last_id:
        fresh.rows += kept.rows
        fresh.words = {**kept.words, **fresh.words}
    else:
        fresh = _read(session, 0)
    fresh.listed = sorted(set(fresh.words.values()))
    with _lock:
        _kept[scope] = fresh
    return fresh.listed


def starting_with(session: Session, prefix: str) -> list[str]:
    """The vocabulary's words that start with `prefix` (folded), in order."""
    listed = words(session)
    start = bisect.bisect_left(listed, prefix)
    end = bisect.bisect_left(listed, prefix + "\U0010ffff", lo=start)
    return listed[start:end]


def _read(session: Session, after: int) -> _Kept:
    ring = keyring()
    found = _Kept(last_id=after)
    for row_id, token, sealed in session.execute(
            select(SearchWord.id, SearchWord.token, SearchWord.sealed_word)
            .where(SearchWord.id > after)):
        found.rows += 1
        found.last_id = max(found.last_id, row_id)
        try:
            found.words[token] = ring.decrypt(PURPOSE, sealed, _context(token)).decode()
        except DecryptionError:
            # Moved or altered: never offered; suggestions go on from the other words.
            log.warning("search: vocabulary row %s failed its integrity check", row_id)
    return found
