"""Search follows commits: every flushed change that can alter what search finds is noted on
the session, and when the transaction commits —

- on PostgreSQL, the content index (a tsvector per answer revision and per document) is
  written in that same transaction, before it commits (who may see what is not stored there:
  the search query joins the pages' visibility rules live);
- with the embedded Whoosh index, a `SearchChange` row per object is written in that same
  transaction (an outbox), and after the commit this process tries to drain the outbox into
  the index (see whoosh/index.py, drain).

Bulk UPDATEs of answers (acceptance, withdrawal of an acceptance) do not pass through the
unit of work: the ids they will touch are read with the statement's own WHERE first.
The domains know nothing of this module (they never import search).
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from coop_platform.documents.models import (
    Document,
    DocumentAudienceState,
    DocumentRevision,
    DocumentTopic,
    DocumentVersion,
)
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question, Questionnaire
from coop_platform.search import backends
from coop_platform.search.contract import DRAIN_AFTER_COMMIT, INTERNAL
from coop_platform.search.models import DocumentText, TextStatus
from coop_platform.states.models import State

_KEY = "spc_search_subjects"
_QUESTION_TEXT = ("text_en", "text_fr", "options_json", "settings_json", "section_id")


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _note(session: Session, kind: str, target: int | None) -> None:
    if target is not None:
        session.info.setdefault(_KEY, set()).add((kind, target))


def _subjects_of(session: Session, obj, is_new: bool, is_deleted: bool) -> None:
    if isinstance(obj, AnswerRevision):
        _note(session, "revision", obj.id)
        _note(session, "answer", obj.answer_id)
    elif isinstance(obj, Answer):
        _note(session, "answer", obj.id)
    elif isinstance(obj, Question):
        if is_new or is_deleted or _changed(obj, *_QUESTION_TEXT):
            _note(session, "question", obj.id)
    elif isinstance(obj, Questionnaire):
        if not is_new and _changed(obj, "status"):
            _note(session, "questionnaire", obj.id)
    elif isinstance(obj, State):
        if not is_new and _changed(obj, "active"):
            _note(session, "state", obj.id)
    elif isinstance(obj, Document):
        _note(session, "document", obj.id)
        if not is_new and not is_deleted and _changed(obj, "classification"):
            _note(session, "classification", obj.id)
    elif isinstance(obj, DocumentVersion):
        _note(session, "document", obj.document_id)
        if is_new:
            _note(session, "version", obj.id)
    elif isinstance(obj, DocumentTopic | DocumentAudienceState | DocumentText | DocumentRevision):
        _note(session, "document", obj.document_id)


def _after_flush(session: Session, _context) -> None:
    if session.info.get(INTERNAL):
        return
    for obj in session.new:
        _subjects_of(session, obj, True, False)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _subjects_of(session, obj, False, False)
    for obj in session.deleted:
        _subjects_of(session, obj, False, True)


def _bulk(state) -> None:
    session = state.session
    if session.info.get(INTERNAL) or not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ is not Answer:
        return
    where = state.statement.whereclause
    stmt = select(Answer.id) if where is None else select(Answer.id).where(where)
    for (answer_id,) in session.execute(stmt, execution_options={"autoflush": False}):
        _note(session, "answer", answer_id)


def _before_commit(session: Session) -> None:
    if session.info.get(INTERNAL) or not has_app_context():
        return
    session.flush()  # commit flushes after this hook: note what is still pending now
    subjects = session.info.pop(_KEY, set())
    if not subjects:
        return
    _prepare_texts(session, subjects)
    engine = backends.backend(current_app, session)
    engine.record_changes(session, subjects)
    if engine.NAME != "postgresql" and session.get_bind().dialect.name == "postgresql":
        # On a PostgreSQL database its own index follows every commit, whichever backend
        # answers: switching to it needs no rebuild.
        from coop_platform.search.postgres import indexing

        indexing.apply(session, subjects)
    session.info.pop(_KEY, None)


def _prepare_texts(session: Session, subjects: set[tuple[str, int]]) -> None:
    """A new version waits for its text; a document made confidential loses its texts."""
    confidential = {t for k, t in subjects if k in ("classification", "document")}
    if confidential:
        for document in session.scalars(select(Document).where(Document.id.in_(confidential))):
            if document.classification == "confidential":
                for row in session.scalars(select(DocumentText).where(
                        DocumentText.document_id == document.id,
                        DocumentText.status != TextStatus.SKIPPED)):
                    row.status, row.sealed_text, row.chars = "skipped", None, 0
                    row.reason = "confidential: its content is never indexed"
            elif ("classification", document.id) in subjects and document.current_version:
                text_row = session.get(DocumentText, document.current_version.id)
                if text_row is not None and text_row.status == TextStatus.SKIPPED and \
                        text_row.reason.startswith("confidential"):
                    text_row.status, text_row.reason, text_row.attempts = "pending", "", 0
    for kind, version_id in subjects:
        if kind != "version":
            continue
        version = session.get(DocumentVersion, version_id)
        if version is None or session.get(DocumentText, version_id) is not None:
            continue
        document = session.get_one(Document, version.document_id)
        secret = document.classification == "confidential"
        session.add(DocumentText(
            version_id=version_id, document_id=version.document_id,
            status="skipped" if secret else "pending",
            reason="confidential: its content is never indexed" if secret else ""))
    session.flush()


def _after_commit(session: Session) -> None:
    if session.info.pop(DRAIN_AFTER_COMMIT, False) and has_app_context():
        from coop_platform.search.whoosh import index

        index.drain_quietly(current_app._get_current_object())  # type: ignore[attr-defined]


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(DRAIN_AFTER_COMMIT, None)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _bulk)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    _installed = True
