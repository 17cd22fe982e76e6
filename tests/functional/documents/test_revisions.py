"""Revisions of published documents (issue 21): proposed by the owner State, moderated like an
upload, while every other reader keeps what was published.

The expected answers are restated here from PRODUCT.md ("A published document stays alive")
and the issue, not read from the product: the titles, bytes and version numbers are this
file's own.
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.core.exceptions import Conflict
from coop_platform.documents.models import DocumentRevision
from coop_platform.documents.services import revisions
from coop_platform.documents.services.documents import transition
from coop_platform.extensions import db
from tests.conftest import csrf_token, post_form
from tests.support import builders
from tests.support.revisions import (
    NEW_BYTES,
    NEW_SUMMARY,
    NEW_TITLE,
    OLD_BYTES,
    OLD_SUMMARY,
    OLD_TITLE,
    decide,
    document_of,
    propose,
    published,
)

H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
VERSION_ROW = re.compile(r"<tr><td>(\d+)( <span class=\"tag\">current</span>)?</td>")


# -- the matrix -------------------------------------------------------------------------------
READERS = ("owner", "other_state", "court", "moderator", "anonymous")
# outcome -> who takes which decision after the proposal
OUTCOMES = {
    "pending": None,
    "accepted": ("moderator", "accept"),
    "returned": ("moderator", "return"),
    "rejected": ("moderator", "reject"),
    "recalled": ("owner", "recall"),
}


def expected(reader: str, outcome: str) -> dict | None:
    """PRODUCT.md: readers keep seeing what was published until the revision is accepted;
    earlier published versions stay listed. The owner State and the Secretariat also see the
    version the revision brought (they may download it to review it)."""
    if reader == "anonymous":
        return None
    accepted = outcome == "accepted"
    insider = reader in ("owner", "moderator")
    return {
        "title": NEW_TITLE if accepted else OLD_TITLE,
        "versions": ["2", "1"] if accepted or insider else ["1"],
        "current": NEW_BYTES if accepted else OLD_BYTES,
        # The proposal's words are on the page: once accepted for everyone, while open for
        # the owner State and the Secretariat (the revision's panel), never otherwise.
        "proposal shown": accepted or (insider and outcome in ("pending", "returned")),
        "new version downloadable": accepted or insider,
    }


@pytest.fixture
def readers(app, logged_in):
    made = {"owner": logged_in("focal_point", "FRA"),
            "other_state": logged_in("focal_point", "SEN"),
            "court": logged_in("court", None), "moderator": logged_in("moderator", None)}
    made["anonymous"] = (app.test_client(), None)
    return made


def seen_by(client, doc_id: str, made: dict) -> dict | None:
    page = client.get(f"/documents/{doc_id}")
    if page.status_code != 200:
        return None
    body = page.get_data(as_text=True)
    rows = VERSION_ROW.findall(body)
    current_number = next(n for n, tag in rows if tag)
    ids = {"1": made["old"], "2": made["version"]}
    # Each body read before the next request: a download streams from its own request.
    current = client.get(f"/documents/{doc_id}/versions/{ids[current_number]}/download").data
    new = client.get(f"/documents/{doc_id}/versions/{made['version']}/download")
    assert new.status_code in (200, 404)
    new_bytes = new.data
    return {
        "title": H1.search(body).group(1).strip(),
        "versions": [n for n, _tag in rows],
        "current": current,
        "proposal shown": NEW_SUMMARY in body,
        "new version downloadable": new.status_code == 200 and new_bytes == NEW_BYTES,
    }


def test_revision_matrix(app, readers):
    owner, moderator = readers["owner"][1], readers["moderator"][1]
    mismatches = []
    for outcome, decision in OUTCOMES.items():
        doc_id = published(app, owner.id, moderator.id, share_with_court=True)
        made = propose(app, owner.id, doc_id)
        if decision is not None:
            who, action = decision
            decide(app, readers[who][1].id, doc_id, action,
                   "" if action in ("accept", "recall") else "Cite the article.")
        for reader in READERS:
            seen = seen_by(readers[reader][0], doc_id, made)
            if seen != expected(reader, outcome):
                mismatches.append((reader, outcome, seen))
    assert mismatches == []


# -- one journey through the pages ------------------------------------------------------------
def test_a_revision_through_the_pages_reaches_readers_once_accepted(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, moderator_user = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator_user.id)
    form = owner.get(f"/documents/{doc_id}/revise")
    assert form.status_code == 200
    assert OLD_TITLE in form.get_data(as_text=True)  # the form starts from what is published
    sent = owner.post(f"/documents/{doc_id}/revise", data={
        "csrf_token": csrf_token(owner, f"/documents/{doc_id}/revise"),
        "note": "Law of 3 March 2026.", "title": NEW_TITLE, "summary": NEW_SUMMARY,
        "document_type": "procedure", "topics": ["freezing"], "language": "en",
        "classification": "restricted", "file": (io.BytesIO(NEW_BYTES), "procedure-2026.txt"),
    }, content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert "Law of 3 March 2026." in queue
    assert f"/documents/{doc_id}#revision-heading" in queue
    assert NEW_TITLE not in peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    accepted = post_form(moderator, f"/documents/{doc_id}/revision/accept", {},
                         token_path=f"/documents/{doc_id}")
    assert accepted.status_code == 303
    page = peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert H1.search(page).group(1).strip() == NEW_TITLE
    assert "Updated on" in page
    assert "Law of 3 March 2026." in page
    assert "Updated: revision accepted" in page  # the history every reader sees
    listed = peer.get("/documents/?sort=updated").get_data(as_text=True)
    assert NEW_TITLE in listed
    home = peer.get("/").get_data(as_text=True)  # recently published or updated
    assert f'{NEW_TITLE}</a> — <a href="/states/FRA">France</a> — updated on' in home


# -- refusals ---------------------------------------------------------------------------------
def test_the_second_of_two_focal_points_is_told_and_keeps_their_words(app, logged_in):
    first, first_user = logged_in("focal_point", "FRA")
    second, second_user = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, first_user.id, moderator.id)
    # Both opened the form; the first sends theirs.
    token = csrf_token(second, f"/documents/{doc_id}/revise")
    propose(app, first_user.id, doc_id, note="The first focal point's note.")
    refused = second.post(f"/documents/{doc_id}/revise", data={
        "csrf_token": token, "note": "The second focal point's note.", "title": "Another title",
        "summary": "", "document_type": "procedure", "topics": ["freezing"], "language": "en",
        "classification": "restricted", "file": (io.BytesIO(b"other file"), "other.txt"),
    }, content_type="multipart/form-data")
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "waits for the Secretariat" in body
    assert "The second focal point&#39;s note." in body
    assert "Another title" in body
    with app.app_context():
        document = document_of(doc_id)
        assert [r.note for r in document.revisions] == ["The first focal point's note."]
        assert len(document.versions) == 2  # the second file was not kept
    # The form itself says so before anything is typed.
    assert second.get(f"/documents/{doc_id}/revise").status_code == 409


def test_the_database_keeps_one_open_revision_perdocument_of(app, logged_in):
    _, owner = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner.id, moderator.id)
    propose(app, owner.id, doc_id, content=None)
    with app.app_context():
        document = document_of(doc_id)
        db.session.add(DocumentRevision(document_id=document.id, status="returned",
                                        title="Twice", document_type="procedure",
                                        language="en", classification="restricted",
                                        created_by_id=owner.id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_revision_landing_second_in_a_race_is_refused_whole(app, logged_in, monkeypatch):
    """The check before the upload passed for both; the write under the lock refuses the
    second, and its file goes with it."""
    _, owner = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner.id, moderator.id)
    propose(app, owner.id, doc_id)
    checks = []

    def blind_once(user, document, waiting_ok=False):
        checks.append(1)
        if len(checks) > 1:  # the second check, under the lock, is the real one
            return real(user, document, waiting_ok)
        return None

    real = revisions.ensure_can_revise
    monkeypatch.setattr(revisions, "ensure_can_revise", blind_once)
    with pytest.raises(Conflict, match="waits for the Secretariat"):
        propose(app, owner.id, doc_id, content=b"raced file", note="Raced.")
    with app.app_context():
        document = document_of(doc_id)
        assert [r.note for r in document.revisions] == ["Law of 3 March 2026: the judge orders it."]
        assert [v.number for v in document.versions] == [2, 1]


def test_who_may_revise_and_decide(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    court, _ = logged_in("court", None)
    moderator, moderator_user = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator_user.id, share_with_court=True)
    assert peer.get(f"/documents/{doc_id}/revise").status_code == 403
    assert court.get(f"/documents/{doc_id}/revise").status_code == 403
    assert moderator.get(f"/documents/{doc_id}/revise").status_code == 403
    draft = builders.document(app, owner_user.id, "draft")
    assert owner.get(f"/documents/{draft}/revise").status_code == 409
    propose(app, owner_user.id, doc_id)
    for client in (owner, peer, court):
        decided = post_form(client, f"/documents/{doc_id}/revision/accept", {},
                            token_path=f"/documents/{doc_id}")
        assert decided.status_code == 403
    assert post_form(peer, f"/documents/{doc_id}/revision/recall", {},
                     token_path=f"/documents/{doc_id}").status_code == 403
    no_reason = post_form(moderator, f"/documents/{doc_id}/revision/return", {"reason": " "},
                          token_path=f"/documents/{doc_id}")
    assert no_reason.status_code == 400
    assert "Give a reason." in no_reason.get_data(as_text=True)
    assert post_form(moderator, f"/documents/{doc_id}/revision/publish", {},
                     token_path=f"/documents/{doc_id}").status_code == 404
    with app.app_context():
        assert document_of(doc_id).open_revision.status == "pending"
    other_draft = builders.document(app, owner_user.id, "pending")
    assert post_form(moderator, f"/documents/{other_draft}/revision/accept", {},
                     token_path=f"/documents/{other_draft}").status_code == 409


@pytest.mark.parametrize(("fields", "message"), [
    ({"note": ""}, "Say in a few words what changed."),
    ({"note": "x" * 1001}, "Field cannot be longer than 1000 characters."),
    ({"title": ""}, "This field is required."),
    ({"topics": []}, "Choose at least one topic."),
    ({"language": "xx"}, "Not a valid choice."),
    ({}, "Nothing to revise"),  # nothing changed and no file
])
def test_bad_revisions_are_refused_with_their_reason(app, logged_in, fields, message):
    owner, owner_user = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator.id)
    data = {"csrf_token": csrf_token(owner, f"/documents/{doc_id}/revise"), "note": "Amended.",
            "title": OLD_TITLE, "summary": OLD_SUMMARY, "document_type": "procedure",
            "topics": ["freezing"], "language": "en", "classification": "restricted",
            **fields}
    refused = owner.post(f"/documents/{doc_id}/revise", data=data,
                         content_type="multipart/form-data")
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    with app.app_context():
        assert document_of(doc_id).revisions == []


def test_returned_then_sent_again_then_taken_back(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator.id)
    made = propose(app, owner_user.id, doc_id)
    decide(app, moderator.id, doc_id, "return", "Cite the article of the 2026 law.")
    form = owner.get(f"/documents/{doc_id}/revise").get_data(as_text=True)
    assert "Cite the article of the 2026 law." in form
    assert NEW_TITLE in form
    again = owner.post(f"/documents/{doc_id}/revise", data={
        "csrf_token": csrf_token(owner, f"/documents/{doc_id}/revise"),
        "note": "Article 7 of the law of 3 March 2026.", "title": NEW_TITLE,
        "summary": NEW_SUMMARY, "document_type": "procedure", "topics": ["freezing"],
        "language": "en", "classification": "restricted"}, content_type="multipart/form-data")
    assert again.status_code == 303, again.get_data(as_text=True)
    with app.app_context():
        revision = document_of(doc_id).open_revision
        # The same revision, pending again, with the file it brought the first time.
        assert (revision.public_id, revision.status) == (made["revision"], "pending")
        assert revision.version.public_id == made["version"]
        assert revision.note == "Article 7 of the law of 3 March 2026."
    recalled = post_form(owner, f"/documents/{doc_id}/revision/recall", {},
                         token_path=f"/documents/{doc_id}")
    assert recalled.status_code == 303
    with app.app_context():
        document = document_of(doc_id)
        assert document.open_revision is None
        assert document.title == OLD_TITLE
        assert [e for e in db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == doc_id, AuditEvent.action.like("document.revision_%"))
            .order_by(AuditEvent.seq))] == [
            "document.revision_submitted", "document.revision_returned",
            "document.revision_submitted", "document.revision_recalled"]


def test_a_withdrawn_document_is_published_again_through_a_revision(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator.id)
    with app.app_context():
        transition(db.session.get_one(User, owner_user.id), document_of(doc_id), "withdraw",
                   "Superseded.")
        db.session.remove()
    assert peer.get(f"/documents/{doc_id}").status_code == 404
    propose(app, owner_user.id, doc_id, content=None, title=OLD_TITLE, summary=OLD_SUMMARY,
            note="Still in force: withdrawn by mistake.")
    assert peer.get(f"/documents/{doc_id}").status_code == 404  # not before the decision
    decide(app, moderator.id, doc_id, "accept")
    page = peer.get(f"/documents/{doc_id}")
    assert page.status_code == 200
    assert "Still in force: withdrawn by mistake." in page.get_data(as_text=True)


def test_a_moderator_of_the_owner_state_never_decides_its_revision(app, logged_in):
    """PRODUCT.md: the Secretariat moderates; an account of the Secretariat that belongs to a
    State does not decide on that State's own documents — revisions included."""
    _, owner = logged_in("focal_point", "FRA")
    _, moderator = logged_in("moderator", None)
    french_moderator, _ = logged_in("moderator", "FRA")
    doc_id = published(app, owner.id, moderator.id)
    propose(app, owner.id, doc_id)
    assert "No revision waits for moderation." in french_moderator.get(
        "/moderation/").get_data(as_text=True)
    refused = post_form(french_moderator, f"/documents/{doc_id}/revision/accept", {},
                        token_path=f"/documents/{doc_id}")
    assert refused.status_code == 403
    with app.app_context():
        assert document_of(doc_id).open_revision.status == "pending"
        db.session.remove()
