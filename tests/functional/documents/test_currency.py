"""Readers learn that a document changed, and documents say they are current (issue 21):
followers of the owner State and earlier downloaders are told once per accepted revision,
never of a document they may not see; each published document shows when its State last
confirmed it; the Secretariat lists those neither updated nor confirmed for 12 months; the
owners are reminded at eleven months by the reminder answers use (`flask remind`)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.documents.models import Document
from coop_platform.documents.services import sharing
from coop_platform.extensions import db
from coop_platform.moderation.models import Notification
from coop_platform.questionnaires.services import following
from tests.conftest import post_form
from tests.support.revisions import decide, document_of, propose, published

DAY = timedelta(days=1)


def notes(app, account, kind: str) -> list[dict]:
    with app.app_context():
        found = [{"document": n.document_id, **json.loads(n.params)}
                 for n in db.session.scalars(select(Notification).where(
                     Notification.user_id == account.id, Notification.kind == kind)
                     .order_by(Notification.id))]
        db.session.remove()
    return found


def test_followers_and_earlier_downloaders_are_told_once_per_accepted_revision(app,
                                                                                 logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    _, colleague = logged_in("focal_point", "FRA")
    sen, sen_user = logged_in("focal_point", "SEN")  # follows France and downloaded
    jpn, jpn_user = logged_in("focal_point", "JPN")  # downloaded only
    _, can_user = logged_in("focal_point", "CAN")  # follows France, not in the audience
    _, moderator = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator.id, audience="selected_states",
                       states=["SEN", "JPN"])
    with app.app_context():
        for user_id in (sen_user.id, can_user.id):
            following.follow(db.session.get_one(User, user_id), "state", "FRA")
        version = document_of(doc_id).versions[0].public_id
        db.session.remove()
    for client in (sen, jpn):
        assert client.get(f"/documents/{doc_id}/versions/{version}/download").data
    propose(app, owner_user.id, doc_id)
    assert notes(app, sen_user, "document_revised") == []  # not before it is accepted
    decide(app, moderator.id, doc_id, "accept")
    assert len(notes(app, sen_user, "document_revised")) == 1  # followed and downloaded: once
    assert len(notes(app, jpn_user, "document_revised")) == 1
    assert notes(app, can_user, "document_revised") == []  # outside the audience
    assert notes(app, colleague, "document_revised") == []  # the owner State has the decision
    for account in (owner_user, colleague):  # the owner State's focal points: the decision
        assert [n["action"] for n in notes(app, account, "revision_decision")] == ["accept"]
    # Japan leaves the audience; the next accepted revision reaches Senegal only.
    with app.app_context():
        sharing.change(db.session.get_one(User, owner_user.id), document_of(doc_id),
                       sharing.Sharing("selected_states", ["SEN"], False))
        db.session.remove()
    propose(app, owner_user.id, doc_id, content=b"Third text.", title="Third title")
    decide(app, moderator.id, doc_id, "accept")
    assert len(notes(app, sen_user, "document_revised")) == 2
    assert len(notes(app, jpn_user, "document_revised")) == 1
    page = sen.get("/notifications/").get_data(as_text=True)
    assert "France updated a document:" in page
    assert "Third title" in page
    # A return or a rejection tells nobody but the owner State.
    propose(app, owner_user.id, doc_id, content=None, title="Fourth title")
    decide(app, moderator.id, doc_id, "reject", "Not a revision of this procedure.")
    assert len(notes(app, sen_user, "document_revised")) == 2
    assert [n["action"] for n in notes(app, colleague, "revision_decision")] == [
        "accept", "accept", "reject"]
    assert len(notes(app, moderator, "revision_submission")) == 3


def test_confirming_current_the_12_month_list_and_the_reminder(app, logged_in, runner):
    owner, owner_user = logged_in("focal_point", "FRA")
    _, colleague = logged_in("focal_point", "FRA")
    peer, peer_user = logged_in("focal_point", "SEN")
    moderator, moderator_user = logged_in("moderator", None)
    doc_id = published(app, owner_user.id, moderator_user.id)
    fresh = published(app, owner_user.id, moderator_user.id, title="Recent guideline")
    page = peer.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Confirmed current by France on" in page  # publication counts
    assert "Still current: confirm it" not in page  # only its State confirms

    def age(public_id: str, days: int) -> None:
        with app.app_context():
            db.session.execute(update(Document).where(Document.public_id == public_id)
                               .values(confirmed_at=utcnow() - days * DAY))
            db.session.commit()
            db.session.remove()

    def remind() -> str:
        return runner.invoke(args=["remind"]).output

    age(doc_id, 320)  # ten and a half months: not yet
    assert remind().endswith("0 State(s) of documents\n")
    age(doc_id, 340)  # past eleven months
    assert remind().endswith("1 State(s) of documents\n")
    assert remind().endswith("0 State(s) of documents\n")  # once a month at most
    for account in (owner_user, colleague):
        assert [n["count"] for n in notes(app, account, "documents_reminder")] == [1]
    assert notes(app, peer_user, "documents_reminder") == []
    text = owner.get("/notifications/").get_data(as_text=True)
    assert "1 published document of your State has not been confirmed current" in text
    # Past 12 months: on the Secretariat's list, and said on the page.
    age(doc_id, 370)
    stale = moderator.get("/documents/?stale=1&sort=confirmed").get_data(as_text=True)
    assert f"/documents/{doc_id}" in stale
    assert f"/documents/{fresh}" not in stale
    assert "not confirmed for 12 months" in peer.get(f"/documents/{doc_id}").get_data(
        as_text=True)
    board = moderator.get("/moderation/dashboard").get_data(as_text=True)
    assert "<strong>1</strong> <a" in board
    # One click by a focal point of the State; refused to anyone else.
    assert post_form(peer, f"/documents/{doc_id}/confirm", {},
                     token_path=f"/documents/{doc_id}").status_code == 403
    assert post_form(owner, f"/documents/{doc_id}/confirm", {},
                     token_path=f"/documents/{doc_id}").status_code == 303
    stale = moderator.get("/documents/?stale=1").get_data(as_text=True)
    assert f"/documents/{doc_id}" not in stale
    with app.app_context():
        document = document_of(doc_id)
        assert utcnow() - document.confirmed_at.replace(tzinfo=utcnow().tzinfo) < DAY
        assert document.reminded_at is None  # the next reminder counts from now
        assert db.session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.object_id == doc_id, AuditEvent.action == "document.confirmed")) \
            == owner_user.id
        db.session.remove()
    # An accepted revision counts as confirmed too.
    age(doc_id, 370)
    propose(app, owner_user.id, doc_id)
    decide(app, moderator_user.id, doc_id, "accept")
    assert f"/documents/{doc_id}" not in moderator.get("/documents/?stale=1").get_data(
        as_text=True)


def test_only_a_published_document_is_confirmed(app, logged_in):
    from tests.support import builders

    owner, owner_user = logged_in("focal_point", "FRA")
    draft = builders.document(app, owner_user.id, "draft")
    refused = post_form(owner, f"/documents/{draft}/confirm", {},
                        token_path=f"/documents/{draft}")
    assert refused.status_code == 409
    assert "Only a published document can be confirmed current." in refused.get_data(
        as_text=True)
