"""Writing the PostgreSQL index: a tsvector per answer revision and per document, written in
the same transaction as the change that alters it (changes.py calls `apply` before commit).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from coop_platform.documents.models import Document
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question, Section
from coop_platform.search.entries import file_text
from coop_platform.search.models import SearchText
from coop_platform.search.texts import Buckets, answer_buckets, document_buckets

_UPSERT = text(
    "INSERT INTO search_texts (kind, ref_id, tsv, updated_at) VALUES (:kind, :ref, "
    "setweight(to_tsvector('spc_en', :en) || to_tsvector('english', :en), 'A') || "
    "setweight(to_tsvector('spc_fr', :fr) || to_tsvector('french', :fr), 'B') || "
    "setweight(to_tsvector('spc_es', :es) || to_tsvector('spanish', :es), 'C') || "
    "setweight(to_tsvector('spc_simple', :all), 'D'), now()) "
    "ON CONFLICT (kind, ref_id) DO UPDATE SET tsv = excluded.tsv, updated_at = now()")
_WORDS_SQL = text(
    "INSERT INTO search_words (word) SELECT DISTINCT lexeme "
    "FROM unnest(to_tsvector('spc_simple', :all)) "
    "WHERE length(lexeme) BETWEEN 3 AND 64 ON CONFLICT DO NOTHING")


def _params(kind: str, ref: int, buckets: Buckets) -> dict[str, Any]:
    return {"kind": kind, "ref": ref, "en": buckets.joined("en"), "fr": buckets.joined("fr"),
            "es": buckets.joined("es"), "all": buckets.everything()}


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_UPSERT, rows)
        session.execute(_WORDS_SQL, [{"all": r["all"]} for r in rows])


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
                file_text(session, d.current_version)
            rows.append(_params("document", d.id, document_buckets(
                d.title, d.summary, d.language, d.document_type, d.topics, body)))
        _write(session, rows)
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

