"""A world for search tests: every hidden category holds a unique word (a canary), placed
through the real pages (answers) and services (documents), with the table of who may read
it written from PRODUCT.md and the issue — not from the product's code.

Readers are identities: focal points of FRA (owner of the documents), SEN (the "selected"
State of the documents shared with selected States), KEN (any other State), the owner of each
answer category, a moderator (Secretariat) and a Court liaison.
"""

from __future__ import annotations

from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.documents.services.documents import DocumentInput, create_document
from coop_platform.documents.services.revisions import RevisionInput, decide, propose
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.search.extraction import run_extractions
from coop_platform.states.models import State
from tests.support.builders import put_in_status
from tests.support.questionnaires import (
    answer_required,
    place_answer_canaries,
    seeded_questionnaire,
)

ALL = {"own", "peer", "secretariat", "court"}
# answer category -> (State answering, canary word, who may find it)
ANSWERS = {
    "draft": ("DEU", "canarydraft", {"own"}),
    "submitted": ("ITA", "canarysubmitted", {"own", "secretariat"}),
    "returned": ("ESP", "canaryreturned", {"own", "secretariat"}),
    "accepted": ("BEL", "canaryaccepted", ALL),
    "revising": ("NLD", "canaryrevision", {"own"}),
    "before_revision": ("NLD", "canarybeforerevision", {"peer", "secretariat", "court"}),
    "secretariat_only": ("PRT", "canarysecretariatonly", {"own", "secretariat"}),
    "inactive_state": ("AUT", "canaryinactive", {"secretariat"}),
}
# document category -> (owner, canary, where it is, how the document is, who may find it)
DOCUMENTS = {
    "published": ("FRA", "canarypublished", "title",
                  dict(audience="all_states", court=True, status="published"), ALL),
    "pending": ("FRA", "canarypending", "summary",
                dict(audience="all_states", court=True, status="pending"),
                {"own", "secretariat"}),
    "unsubmitted": ("FRA", "canaryunsubmitted", "title",
                    dict(audience="all_states", court=True, status="draft"), {"own"}),
    "withdrawn": ("FRA", "canarywithdrawn", "title",
                  dict(audience="all_states", court=True, status="withdrawn"),
                  {"own", "secretariat"}),
    "selected_states": ("FRA", "canaryselected", "summary",
                        dict(audience="selected_states", court=False, status="published"),
                        {"own", "selected", "secretariat"}),
    "secretariat_audience": ("FRA", "canarysecretariataudience", "title",
                             dict(audience="secretariat", court=False, status="published"),
                             {"own", "secretariat"}),
    "not_for_court": ("FRA", "canarynotforcourt", "title",
                      dict(audience="all_states", court=False, status="published"),
                      {"own", "peer", "secretariat"}),
    "file_text": ("FRA", "canaryfiletext", "file",
                  dict(audience="all_states", court=True, status="published"), ALL),
    "confidential_file": ("FRA", "canaryconfidentialfile", "file",
                          dict(audience="all_states", court=True, status="published",
                               classification="confidential"), set()),
    "confidential_title": ("FRA", "canaryconfidentialtitle", "title",
                           dict(audience="all_states", court=True, status="published",
                                classification="confidential"), ALL),
    "inactive_owner": ("AUT", "canaryinactivedocument", "title",
                       dict(audience="all_states", court=True, status="published"),
                       {"secretariat"}),
    # Revisions of published documents (issue 21): a pending revision's words are its own
    # State's and the Secretariat's, who search it in place of what was published; everyone
    # else keeps finding what was published until the Secretariat accepts it.
    "revision_pending": ("FRA", "canaryrevisionpending", "",
                         dict(audience="all_states", court=True, status="published",
                              revision=("pending", "title")), {"own", "secretariat"}),
    "revision_file": ("FRA", "canaryrevisionfile", "",
                      dict(audience="all_states", court=True, status="published",
                           revision=("pending", "file")), {"own", "secretariat"}),
    "before_revision": ("FRA", "canarybeforedocrevision", "title",
                        dict(audience="all_states", court=True, status="published",
                             revision=("pending", "")), {"peer", "court"}),
    "revision_accepted": ("FRA", "canaryrevisionaccepted", "",
                          dict(audience="all_states", court=True, status="published",
                               revision=("accepted", "summary")), ALL),
    "revision_rejected": ("FRA", "canaryrevisionrejected", "",
                          dict(audience="all_states", court=True, status="published",
                               revision=("rejected", "title")), set()),
}
IDENTITIES = ("FRA", "SEN", "KEN", "secretariat", "court", "DEU", "ITA", "ESP", "BEL", "NLD",
              "PRT")


def roles(identity: str, owner: str) -> set[str]:
    """What an identity is to an object owned by `owner`."""
    if identity in ("secretariat", "court"):
        return {identity}
    if identity == owner:
        return {"own"}
    return {"peer", "selected"} if identity == "SEN" else {"peer"}


def may_find(identity: str, owner: str, audience: set[str]) -> bool:
    return bool(roles(identity, owner) & audience)


def expected_words(identity: str) -> set[str]:
    words = {w for owner, w, aud in ANSWERS.values() if may_find(identity, owner, aud)}
    words |= {w for owner, w, _where, _how, aud in DOCUMENTS.values()
              if may_find(identity, owner, aud)}
    return words


def expected_count(identity: str) -> int:
    """Two answers hold each answer canary (B.5 and A.1's authority); a document one."""
    answers = sum(2 for owner, _w, aud in ANSWERS.values() if may_find(identity, owner, aud))
    documents = sum(1 for owner, _w, _where, _how, aud in DOCUMENTS.values()
                    if may_find(identity, owner, aud)
                    and not (_where == "file" and not aud))
    # The confidential document is still found, by its title's canary, by everyone.
    return answers + documents


def expected_states(identity: str) -> set[str]:
    states = {owner for owner, _w, aud in ANSWERS.values() if may_find(identity, owner, aud)}
    states |= {owner for owner, _w, _where, _how, aud in DOCUMENTS.values()
               if may_find(identity, owner, aud)}
    return states


def _sink(text: str) -> UploadSink:
    sink = UploadSink()
    sink(filename="procedure.txt")
    sink.write(text.encode())
    return sink


def _document(app, owner_iso3: str, word: str, where: str, how: dict) -> None:
    with app.app_context():
        owner = db.session.scalars(select(User).join(State, User.state_id == State.id).where(
            State.iso3 == owner_iso3, User.role == "focal_point")).first()
        title = word if where == "title" else "Procedure for the freezing of assets"
        if not where:  # the word comes with a revision
            title = "Procedure for the freezing of assets"
        summary = word if where == "summary" else "Competent authority and time limits."
        body = f"Article 12 of the law. {word if where == 'file' else 'Nothing else'}."
        document = create_document(owner, DocumentInput(
            title=title, summary=summary, topics=["freezing"], audience=how["audience"],
            states=["SEN"] if how["audience"] == "selected_states" else [],
            share_with_court=how["court"],
            classification=how.get("classification", "restricted")), _sink(body))
        put_in_status(document, how["status"])
        db.session.commit()
        if "revision" in how:
            _revise(owner, document, word, *how["revision"])
        db.session.remove()


def _revise(owner: User, document, word: str, outcome: str, where: str) -> None:
    """A revision of the document through the service, holding the word where told (or no
    canary: a neutral title replacing the published one), then decided as told."""
    revision = propose(owner, document, RevisionInput(
        note="Amended.", title=word if where == "title" else "Procedure as amended",
        summary=word if where == "summary" else document.summary,
        document_type=document.document_type, topics=document.topics,
        language=document.language, classification=document.classification),
        _sink(f"Article 12 as amended. {word}.") if where == "file" else None)
    if outcome != "pending":
        moderator = db.session.scalars(select(User).where(User.role == "moderator")).first()
        action = {"accepted": "accept", "rejected": "reject", "returned": "return"}[outcome]
        decide(moderator, revision.document, action, "" if action == "accept" else "Not now.")


def build_world(app, logged_in, runner) -> dict:
    """Every canary in place; returns {identity: client}."""
    qid = seeded_questionnaire(app)
    moderator, _ = logged_in("moderator", None)
    clients = {"secretariat": moderator, "court": logged_in("court", None)[0]}
    for iso3 in ("FRA", "SEN", "KEN"):
        clients[iso3] = logged_in("focal_point", iso3)[0]
    owners = {}
    for iso3 in sorted({state for state, _, _ in ANSWERS.values()}):
        owners[iso3] = clients.setdefault(iso3, logged_in("focal_point", iso3)[0])
        answer_required(owners[iso3], qid)

    place_answer_canaries(app, owners, moderator, qid)
    for owner, word, where, how, _audience in DOCUMENTS.values():
        _document(app, owner, word, where, how)
    with app.app_context():
        assert run_extractions(limit=100) == sum(
            1 + (d[3].get("revision", ("", ""))[1] == "file") for d in DOCUMENTS.values()
            if d[3].get("classification") != "confidential")
        db.session.scalars(select(State).where(State.iso3 == "AUT")).one().active = False
        db.session.commit()
        db.session.remove()
    clients["qid"] = qid
    return clients
