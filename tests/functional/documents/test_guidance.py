"""Guidance from the Secretariat and the Court (issue 21, item 3): the Secretariat publishes
documents owned by "the ASP Secretariat"; a Court account proposes documents owned by its organ
(set by an administrator), moderated by the Secretariat like any upload; the same audiences,
versions, revisions, search and audit. Expected answers restated from PRODUCT.md ("Owners").
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.documents.models import Document
from coop_platform.extensions import db
from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id
from tests.support.revisions import decide, document_of, propose


def act(client, doc_id: str, action: str, reason: str = ""):
    return post_form(client, f"/documents/{doc_id}/{action}",
                     {"reason": reason, "confirmed": "1"}, token_path=f"/documents/{doc_id}")


def court_account(app, logged_in, organ: str | None):
    client, account = logged_in("court", None)
    if organ:
        with app.app_context():
            db.session.execute(update(User).where(User.id == account.id)
                               .values(court_organ=organ))
            db.session.commit()
            db.session.remove()
    return client, account


def test_the_secretariat_publishes_its_own_guidance(app, logged_in):
    moderator, _ = logged_in("moderator", None)
    other_moderator, _ = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    court, _ = court_account(app, logged_in, "registry")
    doc_id = uploaded_id(upload(moderator, title="Model request for the freezing of assets",
                                share_with_court="y"))
    assert other_moderator.get(f"/documents/{doc_id}").status_code == 200  # the Secretariat's
    assert peer.get(f"/documents/{doc_id}").status_code == 404  # a draft
    assert act(moderator, doc_id, "submit").status_code == 303
    assert act(other_moderator, doc_id, "publish").status_code == 303
    page = peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "ASP Secretariat" in page
    assert "Guidance" in page
    assert court.get(f"/documents/{doc_id}").status_code == 200  # shared with the Court
    listing = peer.get("/documents/?publisher=secretariat").get_data(as_text=True)
    assert "Model request for the freezing of assets" in listing
    assert "Model request" not in peer.get("/documents/?publisher=state").get_data(as_text=True)
    with app.app_context():
        document = document_of(doc_id)
        assert (document.owner_state_id, document.owner_organ) == (None, "secretariat")
        db.session.remove()


def test_a_court_organ_proposes_and_the_secretariat_moderates(app, logged_in):
    registry, registry_user = court_account(app, logged_in, "registry")
    prosecutor, _ = court_account(app, logged_in, "otp")
    moderator, moderator_user = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    owner_state, _ = logged_in("focal_point", "FRA")
    doc_id = uploaded_id(upload(registry, title="What the Court's requests for bank records need",
                                share_with_court="y"))
    assert prosecutor.get(f"/documents/{doc_id}").status_code == 404  # another organ's draft
    assert moderator.get(f"/documents/{doc_id}").status_code == 404  # not submitted yet
    assert act(registry, doc_id, "submit").status_code == 303
    assert act(registry, doc_id, "publish").status_code == 403  # never without moderation
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert "What the Court&#39;s requests for bank records need" in queue
    assert "Registry of the Court" in queue
    assert act(moderator, doc_id, "publish").status_code == 303
    assert "Registry of the Court" in peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "bank records" in peer.get("/documents/?publisher=court").get_data(as_text=True)
    # Its revisions go through the same queue; nobody else revises it.
    assert prosecutor.get(f"/documents/{doc_id}/revise").status_code == 403
    assert owner_state.get(f"/documents/{doc_id}/revise").status_code == 403
    assert moderator.get(f"/documents/{doc_id}/revise").status_code == 403
    assert registry.get(f"/documents/{doc_id}/revise").status_code == 200
    propose(app, registry_user.id, doc_id, content=b"Spreadsheets preferred.",
            title="What the Court's requests for bank records need (2026)")
    assert "(2026)" not in peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Revisions of published documents" in moderator.get("/moderation/").get_data(
        as_text=True)
    decide(app, moderator_user.id, doc_id, "accept")
    assert "(2026)" in peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    with app.app_context():
        notes = {e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == doc_id))}
        assert {"document.uploaded", "document.submit", "document.publish",
                "document.revision_submitted", "document.revision_accepted"} <= notes
        db.session.remove()


def test_a_court_account_never_acts_for_a_state_or_another_organ(app, logged_in):
    registry, _ = court_account(app, logged_in, "registry")
    owner, owner_user = logged_in("focal_point", "FRA")
    moderator, moderator_user = logged_in("moderator", None)
    from tests.support.revisions import published

    state_doc = published(app, owner_user.id, moderator_user.id, share_with_court=True)
    assert registry.get(f"/documents/{state_doc}").status_code == 200
    assert registry.get(f"/documents/{state_doc}/revise").status_code == 403
    assert act(registry, state_doc, "withdraw", "Not ours.").status_code == 403
    presidency_doc = uploaded_id(upload(court_account(app, logged_in, "presidency")[0],
                                        title="Presidency draft"))
    assert registry.get(f"/documents/{presidency_doc}").status_code == 404
    assert act(registry, presidency_doc, "submit").status_code == 404


def test_an_administrator_sets_the_organ_of_a_court_account(app, logged_in):
    admin, _ = logged_in("admin", None)
    court, court_user = logged_in("court", None)
    assert court.get("/documents/new").status_code == 403
    page = f"/admin/users/{court_user.public_id}"
    assert post_form(admin, f"{page}/organ", {"organ": "nowhere"},
                     token_path=page).status_code == 400
    assert post_form(admin, f"{page}/organ", {"organ": "otp"}, token_path=page).status_code == 303
    assert "Office of the Prosecutor" in admin.get(page).get_data(as_text=True)
    assert court.get("/documents/new").status_code == 200
    _, focal = logged_in("focal_point", "FRA")
    focal_page = f"/admin/users/{focal.public_id}"
    assert post_form(admin, f"{focal_page}/organ", {"organ": "otp"},
                     token_path=focal_page).status_code == 400
    assert post_form(court, f"{page}/organ", {"organ": "registry"},
                     token_path="/documents/").status_code == 403  # administrators only
    with app.app_context():
        assert db.session.get_one(User, court_user.id).court_organ == "otp"
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.object_id == court_user.public_id,
            AuditEvent.action == "user.court_organ_set")) is not None
        db.session.remove()


@pytest.mark.parametrize("owner", ["secretariat", "registry"])
def test_guidance_is_found_by_those_it_is_shared_with(app, logged_in, owner):
    moderator, _ = logged_in("moderator", None)
    uploader = moderator if owner == "secretariat" else court_account(app, logged_in, owner)[0]
    peer, _ = logged_in("focal_point", "SEN")
    outsider, _ = logged_in("focal_point", "KEN")
    doc_id = uploaded_id(upload(uploader, title="Guidance zebrafinchword", audience="selected_states",
                                states=["SEN"]))
    act(uploader, doc_id, "submit")
    act(moderator, doc_id, "publish")
    found = peer.get("/search", query_string={"q": "zebrafinchword"}).get_data(as_text=True)
    assert f"/documents/{doc_id}" in found
    missed = outsider.get("/search", query_string={"q": "zebrafinchword"}).get_data(as_text=True)
    assert f"/documents/{doc_id}" not in missed
    with app.app_context():
        assert db.session.scalar(select(Document.owner_organ).where(
            Document.public_id == doc_id)) == owner
        db.session.remove()


def test_a_court_organ_finds_its_own_drafts_and_nobody_else_does(app, logged_in):
    registry, _ = court_account(app, logged_in, "registry")
    prosecutor, _ = court_account(app, logged_in, "otp")
    moderator, _ = logged_in("moderator", None)
    doc_id = uploaded_id(upload(registry, title="Registry draft quetzalword",
                                share_with_court="y"))

    def finds(client) -> bool:
        page = client.get("/search", query_string={"q": "quetzalword"})
        return f"/documents/{doc_id}" in page.get_data(as_text=True)

    assert finds(registry)
    assert not finds(prosecutor)
    assert not finds(moderator)  # a draft: not yet the Secretariat's to see
    act(registry, doc_id, "submit")
    assert finds(moderator)
    assert not finds(prosecutor)  # not published
    act(moderator, doc_id, "publish")
    assert finds(prosecutor)  # shared with the Court
    assert finds(registry)  # once, as its owner
    page = registry.get("/search", query_string={"q": "quetzalword"}).get_data(as_text=True)
    assert page.count(f"/documents/{doc_id}\"") == 1


def test_the_secretariat_widens_its_own_guidance_at_once(app, logged_in):
    moderator, _ = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "KEN")
    doc_id = uploaded_id(upload(moderator, title="Secretariat note", audience="selected_states",
                                states=["SEN"]))
    act(moderator, doc_id, "submit")
    act(moderator, doc_id, "publish")
    assert peer.get(f"/documents/{doc_id}").status_code == 404
    widened = post_form(moderator, f"/documents/{doc_id}/sharing",
                        {"audience": "all_states"}, token_path=f"/documents/{doc_id}")
    assert widened.status_code == 303
    assert peer.get(f"/documents/{doc_id}").status_code == 200  # no request waits on itself
    with app.app_context():
        assert document_of(doc_id).sharing_request is None
        db.session.remove()


def test_a_secretariat_revision_goes_through_the_same_queue(app, logged_in):
    moderator, moderator_user = logged_in("moderator", None)
    colleague, colleague_user = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    doc_id = uploaded_id(upload(moderator, title="Secretariat checklist"))
    act(moderator, doc_id, "submit")
    act(colleague, doc_id, "publish")
    assert moderator.get(f"/documents/{doc_id}/revise").status_code == 200  # its owner
    propose(app, moderator_user.id, doc_id, content=None, title="Secretariat checklist, 2026")
    queue = colleague.get("/moderation/").get_data(as_text=True)
    assert "Secretariat checklist" in queue
    assert "No revision waits for moderation." not in queue
    assert "Secretariat checklist, 2026" not in peer.get(f"/documents/{doc_id}").get_data(
        as_text=True)
    decide(app, colleague_user.id, doc_id, "accept")
    assert "Secretariat checklist, 2026" in peer.get(f"/documents/{doc_id}").get_data(
        as_text=True)
