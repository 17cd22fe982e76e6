"""Every committed change reaches search before the next request: no waiting, no restart.

Each test makes one kind of change and searches at once (on Whoosh the outbox is drained
after the commit; on PostgreSQL the content is written in the same transaction and who may
see it is read live)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.documents.models import Document
from coop_platform.documents.services import sharing
from coop_platform.documents.services.documents import (
    DocumentInput,
    MetadataInput,
    create_document,
    edit_metadata,
    transition,
)
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.search.models import DocumentText
from coop_platform.states.models import State
from coop_platform.states.services import set_active
from tests.support.builders import person
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)

COUNT = re.compile(r'class="result-count"[^>]*>(\d+) results?')


def found(client, query: str) -> int:
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    return int(COUNT.search(page.get_data(as_text=True)).group(1))


def _user(email: str) -> User:
    return person(email)


def _sink(text: str) -> UploadSink:
    sink = UploadSink()
    sink(filename="note.txt")
    sink.write(text.encode())
    return sink


def _document(app, owner: User, **kw) -> int:
    with app.app_context():
        document = create_document(_user(owner.email), DocumentInput(
            title=kw.pop("title", "Seizure procedure"), topics=["freezing"], **kw),
            _sink("Plain text."))
        doc_id = document.id
        db.session.remove()
    return doc_id


def _act(app, email: str, doc_id: int, action: str) -> None:
    with app.app_context():
        transition(_user(email), db.session.get(Document, doc_id), action, "Because.")
        db.session.remove()


def test_answers_follow_saves_submissions_and_decisions(app, logged_in, search_backend):
    qid = seeded_questionnaire(app)
    owner, _ = logged_in("focal_point", "BEL")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    answer_required(owner, qid)
    assert save(owner, qid, "B", {"B.5.value": "Grounds: freshalpha."}).status_code == 303
    assert found(owner, "freshalpha") == 1
    assert (found(moderator, "freshalpha"), found(peer, "freshalpha")) == (0, 0)
    assert save(owner, qid, "B", {"B.5.value": "Grounds: freshbeta."}).status_code == 303
    assert (found(owner, "freshalpha"), found(owner, "freshbeta")) == (0, 1)
    assert act(owner, qid, "submit").status_code == 303
    assert (found(moderator, "freshbeta"), found(peer, "freshbeta")) == (1, 0)
    assert decide(moderator, response_id(app, "BEL", qid), "accept").status_code == 303
    assert found(peer, "freshbeta") == 1
    # Revising after acceptance: peers keep the accepted words, the State sees its draft.
    assert save(owner, qid, "B", {"B.5.value": "Grounds: freshgamma."}).status_code == 303
    assert (found(peer, "freshbeta"), found(peer, "freshgamma")) == (1, 0)
    assert (found(owner, "freshbeta"), found(owner, "freshgamma")) == (0, 1)
    # Marking it "Secretariat only" hides it from peers at once (narrowing needs no review).
    assert save(owner, qid, "B", {"B.5.value": "Grounds: freshgamma.",
                                  "B.5.secretariat_only": "y"}).status_code == 303
    assert found(peer, "freshbeta") == 0


def test_documents_follow_publication_withdrawal_sharing_and_edits(app, logged_in,
                                                                     search_backend):
    owner_client, owner = logged_in("focal_point", "FRA")
    selected, _ = logged_in("focal_point", "SEN")
    third, _ = logged_in("focal_point", "KEN")
    court, _ = logged_in("court", None)
    moderator_client, moderator = logged_in("moderator", None)
    doc_id = _document(app, owner, title="Freshdelta seizure procedure",
                       audience="selected_states", states=["SEN"])
    assert found(owner_client, "freshdelta") == 1
    assert found(moderator_client, "freshdelta") == 0  # a draft stays with its State
    with app.app_context():
        edit_metadata(_user(owner.email), db.session.get(Document, doc_id), MetadataInput(
            title="Freshepsilon seizure procedure", summary="", document_type="procedure",
            topics=["freezing"], language="en", classification="restricted",
            originator_control=False))
        db.session.remove()
    assert (found(owner_client, "freshdelta"), found(owner_client, "freshepsilon")) == (0, 1)
    _act(app, owner.email, doc_id, "submit")
    assert (found(moderator_client, "freshepsilon"), found(selected, "freshepsilon")) == (1, 0)
    _act(app, moderator.email, doc_id, "publish")
    assert (found(selected, "freshepsilon"), found(third, "freshepsilon")) == (1, 0)
    # Sharing wider: requested by the owner, accepted by the Secretariat.
    with app.app_context():
        document = db.session.get(Document, doc_id)
        sharing.change(_user(owner.email), document,
                       sharing.Sharing("all_states", [], share_with_court=True))
        db.session.remove()
    assert found(third, "freshepsilon") == 0  # waits for the Secretariat
    with app.app_context():
        sharing.decide(_user(moderator.email), db.session.get(Document, doc_id), True)
        db.session.remove()
    assert (found(third, "freshepsilon"), found(court, "freshepsilon")) == (1, 1)
    _act(app, owner.email, doc_id, "withdraw")
    assert (found(third, "freshepsilon"), found(court, "freshepsilon"),
            found(selected, "freshepsilon")) == (0, 0, 0)
    assert found(moderator_client, "freshepsilon") == 1


def test_deactivating_a_state_and_changing_a_role_apply_at_once(app, logged_in, make_user,
                                                                  search_backend):
    owner_client, owner = logged_in("focal_point", "FRA")
    peer, peer_user = logged_in("focal_point", "SEN")
    admin = make_user(role="admin", state=None)
    doc_id = _document(app, owner, title="Freshzeta seizure procedure")
    moderator = make_user(role="moderator", state=None)
    _act(app, owner.email, doc_id, "submit")
    _act(app, moderator.email, doc_id, "publish")
    assert found(peer, "freshzeta") == 1
    with app.app_context():
        france = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
        set_active(france, False, _user(admin.email))
        db.session.commit()
        db.session.remove()
    assert found(peer, "freshzeta") == 0
    with app.app_context():
        france = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
        set_active(france, True, _user(admin.email))
        db.session.commit()
        db.session.remove()
    assert found(peer, "freshzeta") == 1
    # The reader's principals come from their account at each search.
    with app.app_context():
        user = _user(peer_user.email)
        user.role, user.state_id = "court", None
        db.session.commit()
        db.session.remove()
    assert found(peer, "freshzeta") == 0  # not shared with the Court


@pytest.mark.parametrize("classification", ["restricted", "confidential"])
def test_file_text_arrives_when_read_and_leaves_when_made_confidential(
        app, logged_in, search_backend, read_files, classification):
    owner_client, owner = logged_in("focal_point", "FRA")
    with app.app_context():
        document = create_document(_user(owner.email), DocumentInput(
            title="Seizure note", topics=["freezing"], classification=classification),
            _sink("Article 7: freshtheta orders are enforced by the prosecutor."))
        doc_id = document.id
        db.session.remove()
    assert found(owner_client, "freshtheta") == 0  # not read yet: found by its title only
    assert found(owner_client, "seizure") == 1
    read_files()
    expected = 1 if classification == "restricted" else 0
    assert found(owner_client, "freshtheta") == expected
    if classification == "restricted":
        with app.app_context():
            edit_metadata(_user(owner.email), db.session.get(Document, doc_id), MetadataInput(
                title="Seizure note", summary="", document_type="procedure",
                topics=["freezing"], language="en", classification="confidential",
                originator_control=False))
            db.session.remove()
        assert found(owner_client, "freshtheta") == 0
        assert found(owner_client, "seizure") == 1
        with app.app_context():  # and the text kept for search is gone, not just unused
            row = db.session.scalars(select(DocumentText).where(
                DocumentText.document_id == doc_id)).one()
            assert (row.status, row.sealed_text, row.chars) == ("skipped", None, 0)
            db.session.remove()
