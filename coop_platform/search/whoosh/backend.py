"""Searching the embedded index (Whoosh); its files and writers are in index.py.

Each entry carries its readers' principals (entries.py). A search matches the query, and our
own collector (`_Visible`) keeps only the entries the reader's principals reach: a set of
document numbers read once per searcher and kind of reader (`_allowed`). Never Whoosh's
`filter=`: it takes an empty set for no filter, and its time limit calls past it. A reader
without principals is answered without touching the index.
Scores use term frequency only, so hidden entries' statistics never order visible ones.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict
from typing import Any

from flask import Flask
from sqlalchemy import insert
from sqlalchemy.orm import Session
from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.idsets import BitSet

from coop_platform.auth.models import User
from coop_platform.extensions import db
from coop_platform.search import query as q
from coop_platform.search.analysis import (
    TEXT_FIELDS,
    phrase_tokens,
    prefix_token,
    word_tokens,
    words_near,
)
from coop_platform.search.contract import DRAIN_AFTER_COMMIT, FACETS, KINDS, Ask, Found, Hit
from coop_platform.search.entries import COURT, PEER, SECRETARIAT, Principals, principals_of
from coop_platform.search.models import SearchChange
from coop_platform.search.whoosh import index
from coop_platform.search.whoosh.index import (
    current_vocabulary,
    keyed_owner,
    keyed_principal,
    searcher_for,
)

log = logging.getLogger(__name__)
NAME = "whoosh"


# -- reading -----------------------------------------------------------------------------------
def _word(text: str):
    branches = []
    for field in TEXT_FIELDS:
        for token in word_tokens(field, text):
            branches.append(wq.Term(field, token))
    return wq.Or(branches) if branches else wq.NullQuery


def _phrase(words: tuple[str, ...]):
    branches = []
    for field in TEXT_FIELDS:
        tokens = phrase_tokens(field, " ".join(words))
        if len(tokens) > 1:
            branches.append(wq.Phrase(field, tokens))
        elif tokens:
            branches.append(wq.Term(field, tokens[0]))
    return wq.Or(branches) if branches else wq.NullQuery


def _prefix(text: str):
    """Words that start with `text`: the keyed token of its first letters, which the index
    holds beside every word it starts (index._Prefixes)."""
    token = prefix_token(text)
    return wq.NullQuery if token is None else wq.Term("prefix", token)


def compile_tree(node):
    if isinstance(node, q.Everything):
        return wq.Every()
    if isinstance(node, q.Word):
        return _word(node.text)
    if isinstance(node, q.Phrase):
        return _phrase(node.words)
    if isinstance(node, q.Prefix):
        return _prefix(node.text)
    if isinstance(node, q.Filter):
        return wq.Term(node.field, node.value)
    if isinstance(node, q.Not):
        return wq.Not(compile_tree(node.child))
    if isinstance(node, q.And):
        return wq.And([compile_tree(c) for c in node.children])
    if isinstance(node, q.Or):
        return wq.Or([compile_tree(c) for c in node.children])
    raise TypeError(node)


def access_query(principals: Principals):
    branches = [wq.Term("acl", keyed_principal(t)) for t in sorted(principals.tokens)
                if t == SECRETARIAT or t.startswith(("s", "o"))]
    if COURT in principals.tokens:
        court = wq.Term("acl", keyed_principal(COURT))
        if principals.own_organ is not None:  # its own organ's entries come through its own
            court = wq.And([court, wq.Not(wq.Term("owner", keyed_owner(principals.own_organ)))])
        branches.append(court)
    if PEER in principals.tokens:
        peer = wq.Term("acl", keyed_principal(PEER))
        if principals.own_state_id is not None:
            peer = wq.And([peer, wq.Not(wq.Term("owner",
                                                keyed_owner(principals.own_state_id)))])
        branches.append(peer)
    return wq.Or(branches)


class _Visible(collectors.WrappingCollector):
    """Collects only the matches whose document number the reader may see, and stops at a
    time limit. Whoosh's own pieces do not compose for this: its TimeLimitCollector around
    its FilterCollector calls the inner collector directly, past the filter (every hidden
    match would be counted and could be listed), and its filter takes an empty set for no
    filter at all."""

    def __init__(self, child, allowed: BitSet, seconds: float) -> None:
        super().__init__(child)
        self.allowed, self.seconds = allowed, seconds
        self.deadline = 0.0

    def prepare(self, top_searcher, q, context) -> None:
        super().prepare(top_searcher, q, context)
        self.deadline = time.monotonic() + self.seconds

    def collect_matches(self) -> None:
        # No SIGALRM: it works only in the main thread (gunicorn threads are not). The clock
        # is read at each segment and every 512 matches.
        if time.monotonic() > self.deadline:
            raise TimeLimit
        allowed, child, offset = self.allowed, self.child, self.offset
        for seen, sub_docnum in enumerate(child.matches(), 1):
            if offset + sub_docnum in allowed:
                child.collect(sub_docnum)
            if not seen % 512 and time.monotonic() > self.deadline:
                raise TimeLimit

    def collect(self, sub_docnum: int) -> None:
        raise NotImplementedError("only collect_matches filters: nothing may call past it")


# Matching the principals inside the query intersected every hit with them: half a search's
# time at 20k entries. The set depends only on the searcher's segments and the principals, and
# a kept searcher is replaced whenever the index changes; so it is read once per
# searcher and kind of reader, and dies with its searcher.
_ALLOWED_KEPT = 32
_allowed_sets: weakref.WeakKeyDictionary[Any, OrderedDict[Principals, BitSet]] = (
    weakref.WeakKeyDictionary())


def _allowed(searcher, principals: Principals) -> BitSet:
    kept = _allowed_sets.get(searcher)
    if kept is None:
        kept = _allowed_sets[searcher] = OrderedDict()  # one searcher per thread: no race
    allowed = kept.get(principals)
    if allowed is None:
        allowed = BitSet(searcher.docs_for_query(access_query(principals)),
                         size=searcher.doc_count_all())
        kept[principals] = allowed
        while len(kept) > _ALLOWED_KEPT:
            kept.popitem(last=False)
    kept.move_to_end(principals)
    return allowed


def _kind_query(kinds: tuple[str, ...]):
    return wq.Or([wq.Term("kind", k) for k in kinds])


def search(app: Flask, user: User, ask: Ask, notices: list[str], facets: bool = True) -> Found:
    principals = principals_of(user)
    if principals.none:
        return Found()  # nothing to see: never reach the index with an empty filter
    # End this request's transaction first: on SQLite it holds the write lock (BEGIN
    # IMMEDIATE) that the drain's own connection needs. Nothing is pending in it (a search
    # writes only its audit record, later, in a transaction of its own).
    db.session.commit()
    try:
        waiting = index.pending(app)[0]
        db.session.commit()
        if waiting:
            index.drain(app, lock_timeout=0.3)
    except Exception:
        log.exception("search: pending changes could not be applied before a search")
    seconds = float(app.config.get("SEARCH_QUERY_SECONDS", 3))
    with searcher_for(app) as searcher:
        asked = compile_tree(ask.tree)
        allowed = _allowed(searcher, principals)
        groups = {"kind": _SegmentValues("kind")}
        if facets:
            for name in FACETS:
                groups[name] = _SegmentValues(name, allow_overlap=name == "topic")
        found = Found()
        # Kind counts cover both kinds; the hits only the asked ones.
        collector = _Visible(searcher.collector(
            limit=None if ask.limit == 0 else ask.offset + ask.limit, groupedby=groups,
            sortedby="date" if ask.order == "date" else None, reverse=ask.order == "date"),
            allowed, seconds)
        try:
            searcher.search_with_collector(asked, collector)
        except TimeLimit:
            found.timed_out = True
        results = collector.results()
        counts = results.groups("kind")
        found.counts = {k: int(counts.get(k, 0)) for k in KINDS}
        if facets:
            found.facets = {name: {str(v): int(n) for v, n in results.groups(name).items()
                                   if v not in (None, "", b"")} for name in FACETS}
        if set(ask.kinds) != set(KINDS):
            collector = _Visible(searcher.collector(
                limit=ask.offset + ask.limit, sortedby="date" if ask.order == "date" else None,
                reverse=ask.order == "date"), allowed, seconds)
            try:
                searcher.search_with_collector(wq.And([asked, _kind_query(ask.kinds)]),
                                               collector)
            except TimeLimit:
                found.timed_out = True
            results = collector.results()
        for hit in list(results)[ask.offset:ask.offset + ask.limit]:
            found.hits.append(Hit(hit["kind"], int(hit["ref"]), int(hit["revision"]),
                                  hit.get("date")))
        return found


# -- facets ------------------------------------------------------------------------------------
# Whoosh's own field facets read a segment's whole column again at every search, and for a
# field without a column (topic) walk every posting of the field: at 20k entries that was a
# third of a search. A segment never changes once written (a deletion only hides documents,
# and the matcher skips those), so each segment's values are read once and kept, keyed by the
# segment's own random id. A few segments live at a time; the oldest are let go.
_SEGMENT_VALUES: OrderedDict[tuple[str, str], list] = OrderedDict()
_SEGMENT_VALUES_KEPT = 128
_segment_values_lock = threading.Lock()


def _segment_values(reader, fieldname: str, overlap: bool) -> list:
    key = (reader.segment().segment_id(), fieldname)
    with _segment_values_lock:
        values = _SEGMENT_VALUES.get(key)
        if values is not None:
            _SEGMENT_VALUES.move_to_end(key)
            return values
    count = reader.doc_count_all()
    field = reader.schema[fieldname]
    if overlap:
        values = [[] for _ in range(count)]
        for term in field.sortable_terms(reader, fieldname):
            name = field.from_bytes(term)
            for docnum in reader.postings(fieldname, term).all_ids():
                values[docnum].append(name)
    elif reader.has_column(fieldname):
        column = reader.column_reader(fieldname, translate=True)
        values = [column[docnum] for docnum in range(count)]
    else:
        values = [None] * count
    with _segment_values_lock:
        _SEGMENT_VALUES[key] = values
        while len(_SEGMENT_VALUES) > _SEGMENT_VALUES_KEPT:
            _SEGMENT_VALUES.popitem(last=False)
    return values


class _SegmentValues(sorting.FacetType):
    """Counts by a field's value, from the kept values of each segment."""

    maptype = sorting.Count

    def __init__(self, fieldname: str, allow_overlap: bool = False) -> None:
        self.fieldname, self.allow_overlap = fieldname, allow_overlap

    def categorizer(self, global_searcher):
        return _SegmentValuesCategorizer(self.fieldname, self.allow_overlap)


class _SegmentValuesCategorizer(sorting.Categorizer):
    def __init__(self, fieldname: str, allow_overlap: bool) -> None:
        self.fieldname, self.allow_overlap = fieldname, allow_overlap
        self._values: list = []

    def set_searcher(self, segment_searcher, docoffset) -> None:
        self._values = _segment_values(segment_searcher.reader(), self.fieldname,
                                       self.allow_overlap)

    def key_for(self, matcher, segment_docnum):
        return self._values[segment_docnum]

    def keys_for(self, matcher, segment_docnum):
        return self._values[segment_docnum]

    def key_to_name(self, key):
        return key


def vocabulary_near(app: Flask, word: str) -> list[str]:
    """Indexed words within two edits of `word` (of every entry: callers check visibility),
    from the vocabulary the index keeps sealed beside it (its terms are keyed)."""
    return words_near(current_vocabulary(app), word)


# -- what changes reach the index through ------------------------------------------------------
def record_changes(session: Session, subjects: set[tuple[str, int]]) -> None:
    """The outbox: a `SearchChange` row per changed answer or document, in the transaction
    that changed it; this process drains it after the commit (index.drain_quietly), the
    search worker otherwise."""
    # A revision's, version's or classification's answer or document is noted as well.
    rows = sorted({(kind, target) for kind, target in subjects
                   if kind not in ("revision", "version", "classification")})
    if rows:
        session.execute(insert(SearchChange), [{"kind": k, "target_id": t} for k, t in rows])
        session.info[DRAIN_AFTER_COMMIT] = True


def apply_pending(app: Flask, lock_timeout: float) -> int:
    return index.drain(app, lock_timeout=lock_timeout)


def rebuild(app: Flask, wait: bool = False) -> int:
    return index.rebuild(app, wait=wait)


def remove_leftovers(app: Flask) -> int:
    return index.remove_stale_generations(app)


def status(app: Flask) -> dict[str, Any]:
    return index.status(app)


def snapshot(app: Flask) -> set[tuple[Any, ...]]:
    return index.snapshot(app)
