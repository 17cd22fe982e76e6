"""What the embedded index holds for an object, and who may find it there.

The Whoosh index cannot run SQL, so each entry carries the principals that may see it. They
are not a second rule: they are read off the pages' own visibility queries, asked as a few
stand-in readers ("personas") — the Secretariat, a Court liaison, a focal point of the owner
State, a focal point of some other State (the `peer` principal), and a focal point of each
State a document was shared with. Whatever those queries show a persona, the entry grants to
that persona's principal, with the revision the persona sees; so the index can only be as
wide as the pages are.

A reader's principals (`principals_of`) mirror the personas: a focal point of State S holds
`s<S>`, and `peer` on entries whose owner is not S (its own State's entries are those of
`s<S>`, which carry the working revision rather than the accepted one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from coop_platform.auth.models import User
from coop_platform.core.authz import COURT_ORGANS, SECRETARIAT_ROLES, Role
from coop_platform.crypto.keyring import KeyError_
from coop_platform.documents.models import Document, DocumentRevision, DocumentVersion
from coop_platform.documents.services.visibility import visible_documents
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    Response,
    Section,
)
from coop_platform.questionnaires.services.visibility import visible_answers
from coop_platform.search.extraction import open_text
from coop_platform.search.models import DocumentText, TextStatus
from coop_platform.search.texts import Buckets, answer_buckets, document_buckets
from coop_platform.states.models import State

SECRETARIAT, COURT, PEER = "sec", "court", "peer"
_CHUNK = 500


@dataclass(frozen=True)
class Persona:
    role: str
    state_id: int | None = None
    is_authenticated: bool = True
    court_organ: str | None = None


_FIXED = ((Persona("moderator"), SECRETARIAT), (Persona("court"), COURT),
          (Persona("focal_point", -1), PEER))


def state_principal(state_id: int) -> str:
    return f"s{state_id}"


def organ_principal(organ: str) -> str:
    """The accounts of one organ of the Court: they find their organ's guidance as its
    owner (its drafts, its open revisions)."""
    return f"o{organ}"


@dataclass(frozen=True)
class Principals:
    tokens: frozenset[str]
    own_state_id: int | None = None  # `peer` entries of this State are not for this reader
    own_organ: str | None = None  # nor `court` entries of this organ (it has its own)

    @property
    def none(self) -> bool:
        return not self.tokens


def principals_of(user: User) -> Principals:
    if user is None or not getattr(user, "is_authenticated", False):
        return Principals(frozenset())
    if user.role in SECRETARIAT_ROLES:
        return Principals(frozenset({SECRETARIAT}))
    if user.role == Role.COURT:
        organ = getattr(user, "court_organ", None)
        if organ:
            return Principals(frozenset({COURT, organ_principal(organ)}), own_organ=organ)
        return Principals(frozenset({COURT}))
    if user.role == Role.FOCAL_POINT and user.state_id is not None:
        return Principals(frozenset({state_principal(user.state_id), PEER}), user.state_id)
    return Principals(frozenset())


@dataclass
class Entry:
    key: str
    kind: str  # answer | document
    ref: int  # answer id or document id
    revision: int  # the answer revision's number; the document's current version number
    acl: set[str]
    owner: int | str  # the owner State's id, or the organ of a guidance document
    state: str
    group: str
    lang: str
    date: datetime
    buckets: Buckets
    section: str = ""
    question: str = ""
    doc_type: str = ""
    topics: list[str] = field(default_factory=list)


def _chunks(ids):
    ids = sorted(ids)
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


# -- answers -------------------------------------------------------------------------------
def answer_entries(session: Session, answer_ids) -> dict[int, list[Entry]]:
    """Every answer named gets a list (empty when nobody may find it any more)."""
    out: dict[int, list[Entry]] = {a: [] for a in answer_ids}
    for chunk in _chunks(answer_ids):
        grants: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        for persona, token in _FIXED:
            stmt = visible_answers(persona).where(Answer.id.in_(chunk)).with_only_columns(
                Answer.id, AnswerRevision.id)
            for answer_id, revision_id in session.execute(stmt):
                grants[answer_id][revision_id].add(token)
        owners = session.execute(select(Answer.id, Response.state_id)
                                 .join(Response, Answer.response_id == Response.id)
                                 .where(Answer.id.in_(chunk))).all()
        by_state: dict[int, list[int]] = defaultdict(list)
        for answer_id, state_id in owners:
            by_state[state_id].append(answer_id)
        for state_id, ids in by_state.items():
            stmt = visible_answers(Persona("focal_point", state_id)).where(
                Answer.id.in_(ids), Response.state_id == state_id).with_only_columns(
                Answer.id, AnswerRevision.id)
            for answer_id, revision_id in session.execute(stmt):
                grants[answer_id][revision_id].add(state_principal(state_id))
        revision_ids = {r for per in grants.values() for r in per}
        if not revision_ids:
            continue
        rows = session.execute(
            select(AnswerRevision, Answer.id, Question, Section, State)
            .join(Answer, AnswerRevision.answer_id == Answer.id)
            .join(Question, Answer.question_id == Question.id)
            .join(Section, Question.section_id == Section.id)
            .join(Response, Answer.response_id == Response.id)
            .join(State, Response.state_id == State.id)
            .where(AnswerRevision.id.in_(revision_ids))).all()
        for revision, answer_id, question, section, state in rows:
            out[answer_id].append(Entry(
                key=f"a{answer_id}.{revision.number}", kind="answer", ref=answer_id,
                revision=revision.number, acl=grants[answer_id][revision.id], owner=state.id,
                state=state.iso3, group=state.regional_group, lang=revision.language,
                date=revision.saved_at, section=section.code, question=question.key,
                buckets=answer_buckets(question, revision, (section.title_en,
                                                            section.title_fr))))
    return out


# -- documents -----------------------------------------------------------------------------
def file_text(session: Session, version: DocumentVersion | None) -> str:
    """The extracted text of a version ('' when there is none or it cannot be opened)."""
    if version is None:
        return ""
    return file_text_of(session.get(DocumentText, version.id,
                                    options=[undefer(DocumentText.sealed_text)]), version)


def file_text_of(row: DocumentText | None, version: DocumentVersion) -> str:
    if row is None or row.status != TextStatus.DONE or not row.sealed_text:
        return ""
    try:
        return open_text(row.sealed_text, version.public_id)
    except KeyError_:
        current_app.logger.warning("search: the text of a version could not be opened")
        return ""


def revision_buckets(session: Session, document: Document,
                     revision: DocumentRevision) -> Buckets:
    """The words of an open revision: its proposed description, and the text of its new file
    (or of the published one when it brings none). Nothing of a file's text when either the
    document or the proposal is confidential."""
    secret = "confidential" in (document.classification, revision.classification)
    text = "" if secret else file_text(session, revision.version or document.published_version)
    return document_buckets(revision.title, revision.summary, revision.language,
                            revision.document_type, revision.topics, text)


def owner_principal(document: Document) -> str:
    """Who finds the document as its owner: its State's, the Secretariat, or its organ's."""
    if document.owner_state_id is not None:
        return state_principal(document.owner_state_id)
    if document.owner_organ in COURT_ORGANS:
        return organ_principal(str(document.owner_organ))
    return SECRETARIAT


def document_entries(session: Session, document_ids) -> dict[int, list[Entry]]:
    out: dict[int, list[Entry]] = {d: [] for d in document_ids}
    for chunk in _chunks(document_ids):
        grants: dict[int, set[str]] = defaultdict(set)
        for persona, token in _FIXED:
            for (doc_id,) in session.execute(visible_documents(persona).where(
                    Document.id.in_(chunk)).with_only_columns(Document.id)):
                grants[doc_id].add(token)
        documents = session.scalars(select(Document).where(Document.id.in_(chunk))).all()
        for document in documents:
            readers = document.audience_state_ids | (
                {document.owner_state_id} if document.owner_state_id is not None else set())
            for state_id in readers:
                persona = Persona("focal_point", state_id)
                if session.execute(visible_documents(persona).where(
                        Document.id == document.id).with_only_columns(Document.id)).first():
                    grants[document.id].add(state_principal(state_id))
            own = owner_principal(document)
            if document.owner_organ in COURT_ORGANS and session.execute(
                    visible_documents(Persona("court", court_organ=document.owner_organ))
                    .where(Document.id == document.id).with_only_columns(Document.id)).first():
                grants[document.id].add(own)
            if not grants[document.id]:
                continue
            version = document.published_version
            text = "" if document.classification == "confidential" else \
                file_text(session, version)
            # Guidance has no owner State: no State facet, and no State's own entries.
            state = document.owner_state
            owner, iso3, group = (state.id, state.iso3, state.regional_group) if state \
                else (str(document.owner_organ), "", "")
            acl = grants[document.id]
            revision = document.open_revision
            if revision is not None:
                # Its own State and the Secretariat find the revision they work on; everyone
                # else what was published.
                inner = acl & {SECRETARIAT, own}
                acl = acl - inner
                working = revision.version or version
                out[document.id].append(Entry(
                    key=f"d{document.id}.w", kind="document", ref=document.id,
                    revision=working.number if working else 0, acl=inner, owner=owner,
                    state=iso3, group=group, lang=revision.language,
                    date=document.revised_at or document.updated_at,
                    doc_type=revision.document_type,
                    topics=revision.topics,
                    buckets=revision_buckets(session, document, revision)))
            if not acl:
                continue
            out[document.id].append(Entry(
                key=f"d{document.id}", kind="document", ref=document.id,
                revision=version.number if version else 0, acl=acl,
                owner=owner, state=iso3, group=group, lang=document.language,
                date=document.revised_at or document.updated_at,
                doc_type=document.document_type, topics=document.topics,
                buckets=document_buckets(document.title, document.summary, document.language,
                                         document.document_type, document.topics, text)))
    return out
