"""Writing the PostgreSQL index: a tsvector per answer revision and per document, written in
the same transaction as the change that alters it (changes.py calls `apply` before commit).
Its lexemes are keyed tokens (keyed.py), built here by the analysis both backends share:
PostgreSQL never sees a word to index, so neither its tables nor its logs hold one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from coop_platform.documents.models import OPEN_REVISION_STATUSES, Document, DocumentRevision
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question, Section
from coop_platform.search.analysis import (
    CLEAR_ANALYZERS,
    LANGS,
    MAX_WORD,
    MIN_PREFIX,
)
from coop_platform.search.entries import file_text, revision_buckets
from coop_platform.search.keyed import keyer
from coop_platform.search.models import SearchText
from coop_platform.search.postgres import vocabulary
from coop_platform.search.texts import Buckets, answer_buckets, document_buckets

log = logging.getLogger(__name__)

_UPSERT = text(
    "INSERT INTO search_texts (kind, ref_id, tsv, updated_at) "
    "VALUES (:kind, :ref, CAST(:tsv AS tsvector), now()) "
    "ON CONFLICT (kind, ref_id) DO UPDATE SET tsv = excluded.tsv, updated_at = now()")
# Per language its weight letter: a query looks a language's terms up with its letter.
WEIGHTS = {"en": "A", "fr": "B", "es": "C", "all": "D"}
MAX_POSITION = 16383  # PostgreSQL's: later words share the last position
MAX_POSITIONS = 256  # per lexeme, PostgreSQL's; it keeps the first ones
# A tsvector's lexemes with their positions (two bytes each, and two for their count),
# together, PostgreSQL's limit.
MAX_VECTOR_BYTES = 1_048_575
TOKEN_CHARS = 12
FIELD = "text"  # every language's terms are keyed alike here (the weights keep them apart)


def vector(buckets: Buckets) -> tuple[str, set[str]]:
    """The tsvector, as PostgreSQL reads it, of an entry's keyed tokens, and the entry's
    words for the vocabulary.

    Each language's terms (English, French, Spanish stemmed; all words folded) are keyed
    alike and told apart by their weight letter, each language after the previous one's last
    position, as `to_tsvector(...) || ...` placed them: a term that is the same in several
    languages is one lexeme with several weights, so vectors and queries stay as small as the
    words' own were. No prefix tokens: a prefix query is expanded through the vocabulary
    (backend.py); they made the index four times the size of the words'. A very long text's
    terms can pass PostgreSQL's limit: the first ones are kept."""
    positions: dict[str, list[str]] = {}
    words: set[str] = set()
    key = keyer(FIELD)
    offset = 0
    for lang in (*LANGS, "all"):
        text = buckets.everything() if lang == "all" else buckets.joined(lang)
        last = 0
        for token in CLEAR_ANALYZERS[lang](text, positions=True):
            if lang == "all":
                words.add(token.text)
            kept = positions.setdefault(short(key(token.text)), [])
            at = f"{min(offset + token.pos + 1, MAX_POSITION)}{WEIGHTS[lang]}"
            # A token's positions come in order; past the last one they are all the last.
            if len(kept) < MAX_POSITIONS and (not kept or kept[-1] != at):
                kept.append(at)
            last = token.pos + 1
        offset += last
    parts, size = [], 0
    for token, places in positions.items():
        size += len(token) + 2 * (len(places) + 1)  # as PostgreSQL counts: positions too
        if size > MAX_VECTOR_BYTES:
            log.warning("search: an entry's terms pass PostgreSQL's limit; its last ones "
                        "are not indexed")
            break
        parts.append(f"{token}:{','.join(places)}")
    return " ".join(parts), {w for w in words if MIN_PREFIX <= len(w) <= MAX_WORD}


def short(token: str) -> str:
    """A keyed token as PostgreSQL keeps it: 12 of its base32 characters (60 bits; two of a
    million distinct terms collide with a chance below one in a million), a quarter less
    than the embedded index's, for a vector stored with every row and in its GIN index."""
    return token[:TOKEN_CHARS]


def _params(kind: str, ref: int, buckets: Buckets) -> dict[str, Any]:
    tsv, words = vector(buckets)
    return {"kind": kind, "ref": ref, "tsv": tsv, "words": words}


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_UPSERT, [{k: r[k] for k in ("kind", "ref", "tsv")} for r in rows])
        vocabulary.add(session, set().union(*(r["words"] for r in rows)))


def index_revisions(session: Session, revision_ids: Iterable[int]) -> None:
    ids = sorted(revision_ids)
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(AnswerRevision, Question, Section)
            .join(Answer, AnswerRevision.answer_id == Answer.id)
            .join(Question, Answer.question_id == Question.id)
            .join(Section, Question.section_id == Section.id)
            .where(AnswerRevision.id.in_(ids[i:i + 500]))).all()
        _write(session, [_params("answer", rev.id, answer_buckets(
            question, rev, (section.title_en, section.title_fr))) for rev, question, section in rows])


def index_documents(session: Session, document_ids: Iterable[int]) -> None:
    ids = sorted(document_ids)
    present: set[int] = set()
    for i in range(0, len(ids), 200):
        documents = session.scalars(select(Document).where(Document.id.in_(ids[i:i + 200]))
                                    .with_for_update(of=Document)).all()
        rows = []
        for d in documents:
            present.add(d.id)
            body = "" if d.classification == "confidential" else \
                file_text(session, d.published_version)
            rows.append(_params("document", d.id, document_buckets(
                d.title, d.summary, d.language, d.document_type, d.topics, body)))
            revision = d.open_revision
            if revision is not None:
                rows.append(_params("revision", revision.id,
                                    revision_buckets(session, d, revision)))
        _write(session, rows)
        # A revision decided or taken back leaves the index (its words are the document's
        # now, or nobody's).
        session.execute(delete(SearchText).where(
            SearchText.kind == "revision",
            SearchText.ref_id.in_(select(DocumentRevision.id).where(
                DocumentRevision.document_id.in_(ids[i:i + 200]),
                DocumentRevision.status.not_in(OPEN_REVISION_STATUSES))))
            .execution_options(synchronize_session=False))
    gone = set(ids) - present
    if gone:
        session.execute(delete(SearchText).where(
            SearchText.kind == "document", SearchText.ref_id.in_(gone))
            .execution_options(synchronize_session=False))



def apply(session: Session, subjects: Iterable[tuple[str, int]]) -> None:
    """Bring the content index up to date with this transaction's changes (before commit)."""
    revisions = {t for k, t in subjects if k == "revision"}
    questions = {t for k, t in subjects if k == "question"}
    if questions:
        revisions |= set(session.scalars(
            select(AnswerRevision.id).join(Answer, AnswerRevision.answer_id == Answer.id)
            .where(Answer.question_id.in_(questions))))
    if revisions:
        index_revisions(session, revisions)
    documents = {t for k, t in subjects if k == "document"}
    if documents:
        index_documents(session, documents)


def rebuild(app: Flask, wait: bool = False) -> int:
    session = db.session()  # the request's own session, as a Session
    session.execute(text("TRUNCATE search_texts, search_words"))
    revision_ids = list(session.scalars(select(AnswerRevision.id)))
    index_revisions(session, revision_ids)
    document_ids = list(session.scalars(select(Document.id)))
    index_documents(session, document_ids)
    session.commit()
    session.execute(text("ANALYZE search_texts, search_words"))  # the planner's statistics
    session.commit()
    return len(revision_ids) + len(document_ids)

