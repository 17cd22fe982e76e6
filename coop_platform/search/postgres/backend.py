"""PostgreSQL full-text search: the production default when the database is PostgreSQL.

The index holds content only — a tsvector per answer revision and per document — written in
the same transaction as the change (changes.py). Who may see what is not copied into it: the
search joins the very rule the pages use (`visible_answers`, in its branches, and
`visible_documents`), so a decision, a withdrawal, an audience change or a deactivated State
changes search results in the same commit that changes the pages. The vectors hold keyed
tokens, not words (indexing.py): a word is matched, as in the embedded index, in English,
French and Spanish (stemmed) and folded, each language under its weight letter. Snippets are
cut from the opened texts of the shown page (snippets.py); "did you mean" draws candidates
from the sealed vocabulary (vocabulary.py) and keeps only words that have a hit this reader
may see.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask, g, has_request_context
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import False_, True_

from coop_platform.auth.models import User
from coop_platform.documents.models import (
    OPEN_REVISION_STATUSES,
    Document,
    DocumentRevision,
    DocumentTopic,
)
from coop_platform.documents.services.queries import LAST_UPDATE
from coop_platform.documents.services.visibility import insider_clause, visible_documents
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Section,
)
from coop_platform.questionnaires.services.visibility import visible_answer_branches
from coop_platform.search import query as q
from coop_platform.search.analysis import (
    TEXT_FIELDS,
    clear_tokens,
    phrase_terms,
    words_near,
)
from coop_platform.search.contract import Ask, Found, Hit
from coop_platform.search.keyed import keyer
from coop_platform.search.models import SearchText
from coop_platform.search.postgres import indexing, vocabulary
from coop_platform.search.postgres.indexing import FIELD, WEIGHTS, short
from coop_platform.states.models import State

log = logging.getLogger(__name__)
NAME = "postgresql"


# -- reading -------------------------------------------------------------------------------
# The index holds keyed tokens (indexing.py), so a query is analysed and keyed here, by the
# analysis that built the index, and reaches PostgreSQL as a tsquery of tokens: each field's
# tokens with its weight letter. Tokens are base32 ([a-z2-7]): nothing in them can be read as
# a tsquery operator or quote.
PREFIX_WORDS = 2000  # a broader prefix is searched for its first 2,000 words, and says so


def _term(term: str) -> str:
    return short(keyer(FIELD)(term))


def _word_text(word: str) -> str:
    """The word's terms in every language, each token once with the weights it is looked up
    under ('tok':ACD): one branch per lexeme, as the planner estimates best."""
    weights: dict[str, str] = {}
    for field in TEXT_FIELDS:
        for term in dict.fromkeys(clear_tokens(field, word)):
            token = _term(term)
            weights[token] = weights.get(token, "") + WEIGHTS[field]
    return " | ".join(f"'{token}':{w}" for token, w in weights.items())


def _phrase_text(words: tuple[str, ...]) -> str:
    branches = []
    for field in TEXT_FIELDS:
        terms = phrase_terms(field, " ".join(words))
        if terms:
            weight = WEIGHTS[field]
            branches.append("(" + " <-> ".join(f"'{_term(t)}':{weight}" for t in terms) + ")")
    return " | ".join(dict.fromkeys(branches))


def _prefix_words(prefix: str) -> list[str]:
    """The indexed words a prefix query stands for, from the sealed vocabulary held in
    memory: the index keeps no prefix tokens (PostgreSQL's own `:*` cannot see into keyed
    tokens)."""
    # Once per request: a search compiles its tree for each kind and bound, and the probes
    # of "did you mean" search again; each look would count the vocabulary's rows anew.
    kept: dict[str, list[str]] = g.setdefault("search_prefix_words", {}) \
        if has_request_context() else {}
    if prefix not in kept:
        folded = clear_tokens("all", prefix)
        kept[prefix] = vocabulary.starting_with(db.session(), folded[0]) if folded else []
    return kept[prefix]


def _prefix_text(prefix: str) -> str:
    """The prefix's words, without a weight: the GIN index then answers exactly, with no
    recheck of every row's vector (a weight needs one); and a word of the vocabulary that
    is also some language's stem was written as a word that starts the same way."""
    return " | ".join(f"'{_term(w)}'" for w in _prefix_words(prefix)[:PREFIX_WORDS])


def _constant(value: str):
    """The tsquery written into the statement, not bound: the planner estimates how many
    rows it matches from its value, and psycopg prepares a statement run five times, after
    which PostgreSQL may plan it once for any value."""
    return cast(literal(value, literal_execute=True), TSQUERY)


def _word_query(word: str):
    return _constant(_word_text(word))


def _matches(tsv, value: str):
    return tsv.bool_op("@@")(_constant(value)) if value else false()


def _filter(node: q.Filter, kind: str):
    if node.field == "state":
        return State.iso3 == node.value
    if node.field == "group":
        return State.regional_group == node.value
    if kind == "answer":
        column = {"section": Section.code, "question": Question.key,
                  "lang": AnswerRevision.language}.get(node.field)
        return false() if column is None else column == node.value
    if node.field == "topic":
        topic = aliased(DocumentTopic)  # the topic facet joins DocumentTopic itself
        return exists().where(topic.document_id == Document.id, topic.topic == node.value)
    column = {"type": Document.document_type, "lang": Document.language}.get(node.field)
    return false() if column is None else column == node.value


def compile_tree(node, kind: str, tsv, bound: bool | None = None):
    """The tree as SQL on `tsv`. With `bound` set, field filters are replaced by what makes
    the result a superset (True) or a subset (False) of the exact one: the text-only bound
    that lets the GIN index be read first (see _hits)."""
    if isinstance(node, q.Everything):
        return true()
    if isinstance(node, q.Word):
        return _matches(tsv, _word_text(node.text))
    if isinstance(node, q.Phrase):
        return _matches(tsv, _phrase_text(node.words))
    if isinstance(node, q.Prefix):
        return _matches(tsv, _prefix_text(node.text))
    if isinstance(node, q.Filter):
        return _filter(node, kind) if bound is None else (true() if bound else false())
    if isinstance(node, q.Not):
        flipped = None if bound is None else not bound
        return not_(compile_tree(node.child, kind, tsv, flipped))
    if isinstance(node, q.And):
        return and_(*[compile_tree(c, kind, tsv, bound) for c in node.children])
    if isinstance(node, q.Or):
        return or_(*[compile_tree(c, kind, tsv, bound) for c in node.children])
    raise TypeError(node)


def _hits(kind: str, tree, rank):
    """The index rows that can match, read first through the GIN index (materialised: the
    planner otherwise walks every visible answer and tests each one's vector), each with its
    rank, or None when the words do not narrow anything (a filter alone, a lone NOT). The
    vector itself is carried on only when field filters need the exact test afterwards: at
    31k matched rows it was most of what the statement wrote to temporary files."""
    superset = compile_tree(tree, kind, SearchText.tsv, bound=True)
    if isinstance(superset, True_):
        return None
    columns = [SearchText.ref_id, _rank(rank, SearchText.tsv).label("rank")]
    if _has_filter(tree):
        columns.append(SearchText.tsv)
    # The kind written out too: it chooses the kind's own partial index.
    return (select(*columns).where(SearchText.kind == literal(kind, literal_execute=True),
                                   superset)
            .cte(f"{kind}_hits").prefix_with("MATERIALIZED"))


def _rank_query(words: Sequence[str]):
    if not words:
        return None
    combined = _word_query(words[0])
    for w in words[1:]:
        combined = combined.op("||")(_word_query(w))
    return combined


def _rank(rank, tsv):
    """Languages weigh the same: the weights only keep them apart."""
    if rank is None:
        return literal(0.0)
    return func.ts_rank(text("'{1,1,1,1}'::float4[]"), tsv, rank)


def _with_text(stmts: list, kind: str, ref, tree, rank):
    """Each of `stmts` (the branches of a visibility query) narrowed to the rows whose text
    matches the tree, all reading the same hits; returns them with the column to order by
    relevance."""
    hits = _hits(kind, tree, rank)
    if hits is None:
        condition = compile_tree(tree, kind, SearchText.tsv)
        return ([s.join(SearchText, and_(SearchText.kind == kind, SearchText.ref_id == ref))
                 .where(condition) for s in stmts], _rank(rank, SearchText.tsv))
    stmts = [s.join(hits, hits.c.ref_id == ref) for s in stmts]
    if not _has_filter(tree):
        # Words only: the hits are exactly the matches. Testing them again cost nothing but
        # the planner's estimate (it counted the test's selectivity twice, expected 1,024
        # answers where 31,316 matched and chose a nested loop for each of them).
        return stmts, hits.c.rank
    condition = compile_tree(tree, kind, hits.c.tsv)
    return [s.where(condition) for s in stmts], hits.c.rank


def _has_filter(node) -> bool:
    return any(isinstance(leaf, q.Filter) for leaf in q.leaves(node))


def _answers(user: User, tree, rank=None):
    """Visible answers whose seen revision matches (one select per branch of the rule), and
    their relevance column."""
    return _with_text([branch.join(Question, Answer.question_id == Question.id)
                       .join(Section, Question.section_id == Section.id)
                       for branch in visible_answer_branches(user)],
                      "answer", AnswerRevision.id, tree, rank)


def _documents(user: User, tree, rank=None):
    """Visible documents whose words match, each with its relevance column: what was
    published, except that the owner State and the Secretariat search the revision they work
    on (its own index rows) where one is open."""
    # Guidance has no owner State: an outer join keeps it.
    visible = visible_documents(user).outerjoin(State, Document.owner_state_id == State.id)
    insider = insider_clause(user)
    if isinstance(insider, False_):  # the Court: never an insider, one branch as before
        stmts, column = _with_text([visible], "document", Document.id, tree, rank)
        return stmts, [column] * len(stmts)
    has_open = exists().where(DocumentRevision.document_id == Document.id,
                              DocumentRevision.status.in_(OPEN_REVISION_STATUSES))
    published, published_rank = _with_text([visible.where(not_(and_(insider, has_open)))],
                                           "document", Document.id, tree, rank)
    working, working_rank = _with_text(
        [visible.join(DocumentRevision, and_(
            DocumentRevision.document_id == Document.id,
            DocumentRevision.status.in_(OPEN_REVISION_STATUSES))).where(insider)],
        "revision", DocumentRevision.id, tree, rank)
    return published + working, [published_rank] * len(published) + \
        [working_rank] * len(working)


def _count(stmts: list, ref) -> int:
    rows = union_all(*[s.with_only_columns(ref).order_by(None) for s in stmts]).subquery()
    return db.session.scalar(select(func.count()).select_from(rows)) or 0


_ANSWER_FACETS = {"state": State.iso3, "group": State.regional_group, "section": Section.code,
                  "question": Question.key, "lang": AnswerRevision.language}
# A guidance document's State is '' (not NULL): the total is counted off the State facet's
# rows, and a NULL there would read as another facet's row. '' is never shown as a facet.
_DOCUMENT_FACETS = {"state": func.coalesce(State.iso3, ""), "group": State.regional_group,
                    "type": Document.document_type, "lang": Document.language}


def _one_pass(stmts: list, columns: dict, kind: str, row_columns: list, ranks: list,
              order: str, size: int, found: Found, ranked: list[tuple[Hit, float]],
              topics: bool = False) -> int:
    """Facet counts and the first `size` rows of one kind, in one statement over the matched
    rows (of every branch, each with its own relevance column) computed once (materialised).
    Returns how many rows matched."""
    branches: list[Any] = [s.with_only_columns(*[c.label(f"f_{n}") for n, c in columns.items()],
                                    *row_columns, rank.label("rank")).order_by(None)
                           for s, rank in zip(stmts, ranks, strict=True)]
    matched = (branches[0] if len(branches) == 1 else branches[0].union_all(*branches[1:])) \
        .cte("matched").prefix_with("MATERIALIZED")
    facet_columns: list[Any] = [matched.c[f"f_{n}"] for n in columns]
    blank_facets: list[Any] = [null().cast(String) for _ in columns]
    blank_row: list[Any] = [null().cast(Integer), null().cast(Integer), null().cast(DateTime(timezone=True)),
                 null().cast(Float)]
    parts: list[Any] = [select(literal("f").label("part"), *facet_columns, func.count().label("n"),
                    *blank_row)
             .group_by(func.grouping_sets(*[tuple_(c) for c in facet_columns]))]
    if size:
        keys = [matched.c.date.desc(), matched.c.ref] if order == "date" else \
            [matched.c.rank.desc(), matched.c.date.desc(), matched.c.ref]
        parts.append(select(literal("p"), *blank_facets, literal(0), matched.c.ref,
                            matched.c.revision, matched.c.date, matched.c.rank)
                     .order_by(*keys).limit(size))
    if topics:
        parts.append(select(literal("t"), DocumentTopic.topic, *blank_facets[1:],
                            func.count(), *blank_row)
                     .select_from(matched)
                     .join(DocumentTopic, DocumentTopic.document_id == matched.c.ref)
                     .group_by(DocumentTopic.topic))
    names = list(columns)
    total = 0
    for row in db.session.execute(union_all(*parts)):
        part, values, n = row[0], row[1:1 + len(names)], row[1 + len(names)]
        if part == "p":
            ref, revision, date, rank = row[2 + len(names):]
            ranked.append((Hit(kind, ref, revision, date), rank))
        elif part == "t":
            found.facets.setdefault("topic", {})[values[0]] = n
        else:
            for name, value in zip(names, values, strict=True):
                if value is not None:
                    bucket = found.facets.setdefault(name, {})
                    bucket[value] = bucket.get(value, 0) + n
                    total += n if name == "state" else 0
                    break
    return total


def search(app: Flask, user: User, ask: Ask, notices: list[str], facets: bool = True) -> Found:
    found = Found()
    seconds = float(app.config.get("SEARCH_QUERY_SECONDS", 3))
    session = db.session
    session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
    # The index and the tables it joins are read from memory: PostgreSQL's default (4, a
    # spinning disk) priced a few thousand key lookups above hashing all 100k answer
    # revisions, which every search then paid (~20 ms) however little it found.
    session.execute(text("SET LOCAL random_page_cost = 1.1"))
    rank = _rank_query(list(ask.words))
    size = ask.offset + ask.limit
    for prefix in [leaf.text for leaf in q.leaves(ask.tree) if isinstance(leaf, q.Prefix)]:
        if len(_prefix_words(prefix)) > PREFIX_WORDS:
            notices.append(str(_l("Many words start with “%(prefix)s”: only the first "
                                  "%(n)s of them were searched.", prefix=prefix,
                                  n=format_number(PREFIX_WORDS))))
    try:
        answers, answer_rank = _answers(user, ask.tree, rank)
        documents, document_ranks = _documents(user, ask.tree, rank)
        if not facets:  # a probe ("did you mean"): how many, nothing else
            found.counts["answer"] = _count(answers, Answer.id)
            found.counts["document"] = _count(documents, Document.id)
            return found
        ranked: list[tuple[Hit, float]] = []  # the first `size` of each kind, with its rank
        found.counts["answer"] = _one_pass(answers, _ANSWER_FACETS, "answer", [
            Answer.id.label("ref"),
            AnswerRevision.number.label("revision"), AnswerRevision.saved_at.label("date")],
            [answer_rank] * len(answers), ask.order,
            size if "answer" in ask.kinds else 0, found, ranked)
        found.counts["document"] = _one_pass(documents, _DOCUMENT_FACETS, "document", [
            Document.id.label("ref"),
            literal(0).label("revision"), LAST_UPDATE.label("date")],
            document_ranks, ask.order,
            size if "document" in ask.kinds else 0, found, ranked, topics=True)
        found.facets.get("state", {}).pop("", None)
        # Each kind gave its first `size`: the page of both is among them.
        ranks = {(hit.kind, hit.ref): r for hit, r in ranked}
        hits = [hit for hit, _r in ranked]
        if ask.order == "date":
            hits.sort(key=lambda h: (h.date, h.kind, h.ref), reverse=True)
        else:
            hits.sort(key=lambda h: (-ranks[(h.kind, h.ref)],
                                     -(h.date.timestamp() if h.date else 0.0), h.kind, h.ref))
        found.hits = hits[ask.offset:size]
    except OperationalError as exc:
        if "statement timeout" not in str(exc):
            raise
        session.rollback()
        found = Found(timed_out=True)
    return found


def vocabulary_near(app: Flask, word: str) -> list[str]:
    """Indexed words within two edits of `word` (of every entry: callers check visibility),
    from the sealed vocabulary, opened in memory."""
    return words_near(vocabulary.words(db.session()), word)


def snapshot(app: Flask) -> set[tuple]:
    """Every content row as (kind, id, lexemes): to compare the index with a rebuild."""
    return set(db.session.execute(text("SELECT kind, ref_id, tsv::text FROM search_texts")))


def status(app: Flask) -> dict:
    count = db.session.scalar(select(func.count()).select_from(SearchText))
    report = {"backend": "postgresql", "index": "ok", "entries": count,
              "pending_changes": 0, "oldest_pending_seconds": None}
    # An empty index beside content: an upgrade emptied it (the keyed index cannot be built
    # in SQL) and `search reindex` has not run, or it was truncated. Searches find nothing.
    if not count and db.session.scalar(select(or_(exists(select(AnswerRevision.id)),
                                                  exists(select(Document.id))))):
        report["index"] = "empty: run `flask search reindex`"
        report["reindex_needed"] = True
    return report



# -- what changes reach the index through ------------------------------------------------------
def record_changes(session: Session, subjects: set[tuple[str, int]]) -> None:
    indexing.apply(session, subjects)  # in the transaction itself: nothing waits


def apply_pending(app: Flask, lock_timeout: float) -> int:
    return 0  # changes are indexed before their transaction commits


def rebuild(app: Flask, wait: bool = False) -> int:
    return indexing.rebuild(app, wait=wait)


def remove_leftovers(app: Flask) -> int:
    return 0  # a rebuild is one transaction: an interrupted one leaves nothing
