"""Search, as the page asks it: parse, scope to the reader, count, facet, page, snippet,
suggest, audit.

Guarantees: every count, facet and hit comes from one search that carries the reader's
visibility inside the query; the rows shown are read again through the pages' visibility
rules (so a stale embedded index can never show more than the pages do); snippets are the
escaped text of what the reader sees with only <mark> added; "did you mean" only offers a
query that finds something this reader may see; scores are never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from flask import current_app
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload, undefer

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.documents.models import Document, DocumentRevision, DocumentVersion
from coop_platform.documents.services.visibility import is_insider, visible_documents
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, Question, Questionnaire
from coop_platform.questionnaires.services import contacts
from coop_platform.questionnaires.services.contacts import ReadRevision
from coop_platform.questionnaires.services.visibility import visible_answers
from coop_platform.questionnaires.values import display
from coop_platform.search import backends
from coop_platform.search import query as q
from coop_platform.search.analysis import match_spans
from coop_platform.search.contract import KINDS, Ask, Found, SearchUnavailable
from coop_platform.search.entries import file_text_of, principals_of
from coop_platform.search.models import DocumentText, TextStatus
from coop_platform.search.snippets import marked, snippets
from coop_platform.states.models import interface_language

PER_PAGE = 20
MAX_PAGE = 50


@dataclass
class Request:
    text: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    kind: str = ""  # "", answer, document
    order: str = "relevance"
    page: int = 1


@dataclass
class AnswerResult:
    answer: Answer
    revision: ReadRevision
    question: Question
    questionnaire: Questionnaire
    snippet: Markup
    # The question's words as the reader reads them, those that matched marked: an answer
    # ("Yes") is often found through its question alone, and the page says so.
    title: Markup = Markup("")

    @property
    def through_question(self) -> bool:
        return "<mark>" in self.title and "<mark>" not in self.snippet


@dataclass
class DocumentResult:
    document: Document
    snippet: Markup
    text_note: str = ""
    # The open revision its own State or the Secretariat found it by (its words are shown).
    revision: DocumentRevision | None = None
    title: Markup = Markup("")  # with the words that matched marked


@dataclass
class Outcome:
    request: Request
    searched: bool = False
    found: Found = field(default_factory=Found)
    results: list[AnswerResult | DocumentResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    suggestion: str = ""
    unavailable: bool = False

    @property
    def answers(self) -> list[AnswerResult]:
        return [r for r in self.results if isinstance(r, AnswerResult)]

    @property
    def documents(self) -> list[DocumentResult]:
        return [r for r in self.results if isinstance(r, DocumentResult)]

    @property
    def shown_total(self) -> int:
        if self.request.kind in KINDS:
            return self.found.counts.get(self.request.kind, 0)
        return self.found.total

    # What the pager macro reads.
    @property
    def page(self) -> int:
        return self.request.page

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.shown_total // PER_PAGE)))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _tree(parsed: q.Parsed, filters: dict[str, str]) -> object:
    extra = tuple(q.Filter(name, value) for name, value in sorted(filters.items()))
    if not extra:
        return parsed.tree
    if isinstance(parsed.tree, q.Everything):
        return extra[0] if len(extra) == 1 else q.And(extra)
    return q.And((parsed.tree, *extra))


def _ask(parsed: q.Parsed, request: Request, words: Sequence[str] | None=None) -> Ask:
    kinds = (request.kind,) if request.kind in KINDS else KINDS
    return Ask(tree=_tree(parsed, request.filters), kinds=kinds, order=request.order,
               offset=(request.page - 1) * PER_PAGE, limit=PER_PAGE,
               words=tuple(words if words is not None else parsed.words))


# -- snippets ------------------------------------------------------------------------------
SNIPPET_WINDOW = 2_000  # the part of a long text a snippet is cut from


def _clean(text: str, words: list[str]) -> str:
    """Around the first place a query word starts (accents aside, found or not), a window
    short enough for the highlighter: a file's text can run to millions of characters."""
    start = 0
    stems = [re.escape(w[:4]) for w in words if len(w) >= 2]
    if stems and len(text) > SNIPPET_WINDOW:
        first = re.search("|".join(stems), text, re.IGNORECASE)
        start = max(0, first.start() - SNIPPET_WINDOW // 4) if first else 0
    text = text[start:start + SNIPPET_WINDOW]
    return ("… " if start else "") + " ".join(text.split())


def _snippets(texts: list[tuple[str, str]], words: list[str]) -> list[Markup]:
    """One snippet per (text, language), its words marked as the index matched them (both
    backends analyse alike)."""
    return snippets([(_clean(t, words), lang) for t, lang in texts], words)


# -- loading what the page shows -----------------------------------------------------------
def _load(user: User, found: Found, words: list[str]) -> list[AnswerResult | DocumentResult]:
    answer_ids = [h.ref for h in found.hits if h.kind == "answer"]
    document_ids = [h.ref for h in found.hits if h.kind == "document"]
    answers: dict[int, tuple[Answer, ReadRevision, Question, Questionnaire]] = {}
    if answer_ids:
        stmt = visible_answers(user).where(Answer.id.in_(answer_ids)).add_columns(Question,
                                                                               Questionnaire)
        stmt = stmt.join(Question, Answer.question_id == Question.id).options(
            joinedload(Answer.response), selectinload(Question.section))
        rows = db.session.execute(stmt).all()
        # As every page reads them: a hidden listing's contact details withheld.
        read = contacts.as_read(user, [(answer, revision, answer.response.state_id)
                                       for answer, revision, _q, _qn in rows])
        for (answer, _revision, question, questionnaire), revision in zip(rows, read,
                                                                          strict=True):
            answers[answer.id] = (answer, revision, question, questionnaire)
    documents: dict[int, Document] = {}
    texts: dict[int, DocumentText] = {}
    if document_ids:
        for document in db.session.scalars(visible_documents(user).where(
                Document.id.in_(document_ids)).options(
                lazyload(Document.topic_rows), lazyload(Document.audience_rows),
                lazyload(Document.sharing_request))):
            documents[document.id] = document
        version_ids = [v.id for d in documents.values()
                       for v in (d.published_version, _working(user, d)[1]) if v is not None]
        texts = {row.version_id: row for row in db.session.scalars(
            select(DocumentText).where(DocumentText.version_id.in_(version_ids))
            .options(undefer(DocumentText.sealed_text)))}
    # Each shown hit as a result waiting for its snippet, and the text the snippet comes from.
    shown: list[Callable[[Markup], AnswerResult | DocumentResult]] = []
    sources: list[tuple[str, str]] = []
    for hit in found.hits:
        if hit.kind == "answer" and hit.ref in answers:
            answer, revision, question, questionnaire = answers[hit.ref]
            body = " — ".join(t for t in (display(question, revision.value), revision.remarks)
                              if t)
            shown.append(partial(AnswerResult, answer, revision, question, questionnaire))
            sources.append((body, revision.language))
        elif hit.kind == "document" and hit.ref in documents:
            document = documents[hit.ref]
            working, version = _working(user, document)
            row = texts.get(version.id) if version else None
            # The snippet comes from what this reader searched: the revision its own State
            # and the Secretariat work on, or what was published.
            body = working.summary if working is not None else document.summary
            secret = "confidential" in (document.classification,
                                        working.classification if working else "")
            if version is not None and row is not None and not secret:
                body = " ".join((body, file_text_of(row, version)))
            shown.append(partial(DocumentResult, document, text_note=_note(document, row),
                                 revision=working))
            sources.append((body, document.language))
    results = [result(snippet)
               for result, snippet in zip(shown, _snippets(sources, words), strict=True)]
    reader = interface_language()
    for found_one in results:
        if isinstance(found_one, AnswerResult):
            text, language = found_one.question.text, reader
        else:
            text = (found_one.revision or found_one.document).title
            language = found_one.document.language
        found_one.title = marked(text, match_spans(text, words, language), whole=True)
    return results


def _working(user: User, document: Document) -> tuple[DocumentRevision | None, DocumentVersion | None]:
    """The open revision the reader searches in place of the document (its own State and the
    Secretariat), or None; and the version whose text the reader's snippet comes from."""
    revision = document.open_revision if is_insider(user, document) else None
    if revision is not None and revision.version is not None:
        return revision, revision.version
    return revision, document.published_version


def text_note(document: Document) -> str:
    """Why this document's file text is not searched, in the reader's words ('' if it is)."""
    version = document.published_version
    return _note(document, db.session.get(DocumentText, version.id) if version else None)


def _note(document: Document, row: DocumentText | None) -> str:
    if document.classification == "confidential":
        return str(gettext("Confidential: only its title, summary and topics are searched."))
    if row is None or row.status == TextStatus.DONE:
        return ""
    if row.status == TextStatus.PENDING:
        return str(gettext("The text of its file is being read for search; meanwhile it is "
                           "found by its title, summary and topics."))
    return str(gettext("The text of its file could not be read for search (%(reason)s); it is "
                       "found by its title, summary and topics.", reason=row.reason))


# -- "did you mean" ------------------------------------------------------------------------
def _suggest(user: User, parsed: q.Parsed, request: Request) -> str:
    engine = backends.backend(current_app)
    words = list(dict.fromkeys(parsed.words))[:6]
    if not words or not isinstance(parsed.tree, q.Word | q.And | q.Phrase):
        return ""
    replaced, changed = {}, False
    for word in words:
        probe = Ask(tree=q.Word(word), kinds=KINDS, order="relevance", offset=0, limit=1)
        if engine.search(current_app, user, probe, [], facets=False).total:
            replaced[word] = word
            continue
        for candidate in engine.vocabulary_near(current_app, word):
            probe = Ask(tree=q.Word(candidate), kinds=KINDS, order="relevance", offset=0,
                        limit=1)
            if engine.search(current_app, user, probe, [], facets=False).total:
                replaced[word], changed = candidate, True
                break
        else:
            return ""
    if not changed:
        return ""
    suggestion = " ".join(replaced[w] for w in words)
    parsed_suggestion = q.parse(suggestion)
    check = _ask(parsed_suggestion, Request(filters=request.filters, kind=request.kind))
    if not engine.search(current_app, user, check, [], facets=False).total:
        return ""
    return suggestion


# -- the search ----------------------------------------------------------------------------
def search(user: User, request: Request) -> Outcome:
    outcome = Outcome(request)
    parsed = q.parse(request.text)
    outcome.notices = list(parsed.notices)
    if parsed.is_empty and not request.filters:
        if request.text.strip():
            outcome.notices.append(gettext("Nothing in the query could be searched for."))
        _audit(user, request, outcome)
        return outcome
    outcome.searched = True
    if principals_of(user).none:
        _audit(user, request, outcome)
        return outcome
    engine = backends.backend(current_app)
    try:
        outcome.found = engine.search(current_app, user, _ask(parsed, request),
                                      outcome.notices)
    except SearchUnavailable:
        outcome.unavailable = True
        _audit(user, request, outcome)
        return outcome
    if outcome.found.timed_out:
        outcome.notices.append(gettext("The search took too long and was stopped: the "
                                       "results may be incomplete. Try more precise words."))
    # Recorded (and committed) before the shown rows are read: a commit expires every loaded
    # object, and the page would then read each one again, a statement per attribute.
    _audit(user, request, outcome)
    outcome.results = _load(user, outcome.found, parsed.words)
    if outcome.found.total == 0 and not outcome.found.timed_out:
        outcome.suggestion = _suggest(user, parsed, request)
    return outcome


def _audit(user: User, request: Request, outcome: Outcome) -> None:
    record("search.performed", actor=user, object_type="search",
           details={"query": request.text[:500], "filters": request.filters,
                    "kind": request.kind or "all", "order": request.order,
                    "page": request.page, "results": outcome.found.total,
                    "ignored": len(outcome.notices)})
    db.session.commit()
