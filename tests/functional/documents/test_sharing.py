"""Sharing never widens unseen: narrowing applies at once, widening a published document
waits for the Secretariat, a withdrawn document's sharing does not change, and a form that
contradicts itself is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.documents.models import Document, SharingRequest
from coop_platform.extensions import db
from coop_platform.moderation.models import Notification
from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id


def act(client, doc, action, reason="because"):
    return post_form(client, f"/documents/{doc}/{action}", {"reason": reason, "confirmed": "1"},
                     token_path=f"/documents/{doc}")


def share(client, doc, audience, states=(), court=False):
    data = {"audience": audience, "states": list(states)}
    if court:
        data["share_with_court"] = "y"
    return post_form(client, f"/documents/{doc}/sharing", data, token_path=f"/documents/{doc}")


def decide(client, doc, decision, reason=""):
    return post_form(client, f"/documents/{doc}/sharing/{decision}", {"reason": reason},
                     token_path=f"/documents/{doc}")


def audience_of(app, doc):
    with app.app_context():
        d = db.session.scalars(select(Document).where(Document.public_id == doc)).one()
        from coop_platform.states.models import State

        codes = sorted(db.session.scalars(select(State.iso3).where(
            State.id.in_(d.audience_state_ids)))) if d.audience_state_ids else []
        waiting = db.session.scalar(select(SharingRequest.audience)
                                    .where(SharingRequest.document_id == d.id))
        db.session.remove()
        return d.audience, codes, d.shared_with_court, waiting


def actions(app, doc):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == doc).order_by(AuditEvent.seq))]


def kinds_for(app, account):
    with app.app_context():
        return sorted(db.session.scalars(select(Notification.kind)
                                         .where(Notification.user_id == account.id)))


@pytest.fixture
def people(logged_in):
    return {
        "owner": logged_in("focal_point", "FRA"),
        "sen": logged_in("focal_point", "SEN"),
        "jpn": logged_in("focal_point", "JPN"),
        "bra": logged_in("focal_point", "BRA"),
        "court": logged_in("court", None),
        "moderator": logged_in("moderator", None),
        "fra_moderator": logged_in("moderator", "FRA"),
    }


def published(people, **kw):
    owner = people["owner"][0]
    doc = uploaded_id(upload(owner, **kw))
    assert act(owner, doc, "submit").status_code == 303
    assert act(people["moderator"][0], doc, "publish").status_code == 303
    return doc


def sees(people, who, doc) -> bool:
    return people[who][0].get(f"/documents/{doc}").status_code == 200


def test_widening_a_published_document_waits_for_the_secretariat(app, people):
    doc = published(people, audience="secretariat")
    owner, moderator = people["owner"][0], people["moderator"][0]
    response = share(owner, doc, "all_states", court=True)
    assert response.status_code == 303
    # Nothing widened yet: the approved audience stays in force.
    assert audience_of(app, doc) == ("secretariat", [], False, "all_states")
    assert not sees(people, "sen", doc)
    assert not sees(people, "court", doc)
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert f"/documents/{doc}" in queue.split("Wider sharing asked for")[1]
    assert "sharing_request" in kinds_for(app, people["moderator"][1])
    assert decide(moderator, doc, "accept").status_code == 303
    assert audience_of(app, doc) == ("all_states", [], True, None)
    assert sees(people, "sen", doc)
    assert sees(people, "court", doc)
    assert "sharing_decision" in kinds_for(app, people["owner"][1])
    assert [a for a in actions(app, doc) if a.startswith("document.sharing")] == [
        "document.sharing_requested", "document.sharing_accepted"]


def test_narrowing_applies_at_once(app, people):
    doc = published(people, audience="all_states")
    assert sees(people, "jpn", doc)
    assert share(people["owner"][0], doc, "selected_states", ["SEN"]).status_code == 303
    assert audience_of(app, doc) == ("selected_states", ["SEN"], False, None)
    assert sees(people, "sen", doc)
    assert not sees(people, "jpn", doc)
    assert "document.sharing_requested" not in actions(app, doc)


def test_a_mixed_change_narrows_now_and_asks_for_the_rest(app, people):
    doc = published(people, audience="selected_states", states=["SEN", "JPN"])
    assert share(people["owner"][0], doc, "selected_states", ["SEN", "BRA"]).status_code == 303
    assert audience_of(app, doc) == ("selected_states", ["SEN"], False, "selected_states")
    assert not sees(people, "jpn", doc)  # removed at once
    assert not sees(people, "bra", doc)  # added only once accepted
    assert decide(people["moderator"][0], doc, "accept").status_code == 303
    assert audience_of(app, doc) == ("selected_states", ["BRA", "SEN"], False, None)
    assert sees(people, "bra", doc)


def test_a_refusal_needs_a_reason_and_keeps_the_approved_audience(app, people):
    doc = published(people, audience="secretariat")
    share(people["owner"][0], doc, "all_states")
    moderator = people["moderator"][0]
    assert decide(moderator, doc, "refuse").status_code == 400
    assert audience_of(app, doc)[3] == "all_states"
    assert decide(moderator, doc, "refuse", "Not for all States yet.").status_code == 303
    assert audience_of(app, doc) == ("secretariat", [], False, None)
    assert not sees(people, "sen", doc)
    assert "sharing_decision" in kinds_for(app, people["owner"][1])


@pytest.mark.parametrize(("who", "status"), [("owner", 403), ("fra_moderator", 403),
                                             ("sen", 403), ("court", 404)])
def test_only_another_states_secretariat_decides(app, people, who, status):
    """The Court no longer sees the document once the owner narrowed it away: 404."""
    doc = published(people, audience="all_states", share_with_court="y")
    share(people["owner"][0], doc, "all_states", court=False)  # narrowing: nothing waits
    share(people["owner"][0], doc, "all_states", court=True)  # widening again: waits
    before = audience_of(app, doc)
    assert before[3] == "all_states"
    assert decide(people[who][0], doc, "accept").status_code == status
    assert audience_of(app, doc) == before


def test_deciding_with_nothing_waiting_is_a_409(app, people):
    doc = published(people, audience="all_states")
    assert decide(people["moderator"][0], doc, "accept").status_code == 409


@pytest.mark.parametrize("status", ["withdrawn", "rejected"])
def test_a_withdrawn_or_rejected_documents_sharing_does_not_change(app, people, status):
    owner, moderator = people["owner"][0], people["moderator"][0]
    if status == "withdrawn":
        doc = published(people, audience="secretariat")
        assert act(owner, doc, "withdraw", "superseded").status_code == 303
    else:
        doc = uploaded_id(upload(owner, audience="secretariat"))
        act(owner, doc, "submit")
        assert act(moderator, doc, "reject", "out of scope").status_code == 303
    before = audience_of(app, doc)
    assert share(owner, doc, "all_states", court=True).status_code == 409
    assert audience_of(app, doc) == before


def test_withdrawing_drops_a_waiting_request(app, people):
    doc = published(people, audience="secretariat")
    owner = people["owner"][0]
    share(owner, doc, "all_states")
    assert act(owner, doc, "withdraw", "superseded").status_code == 303
    assert audience_of(app, doc)[3] is None


def test_a_newer_narrower_choice_cancels_the_waiting_request(app, people):
    doc = published(people, audience="selected_states", states=["SEN"])
    owner = people["owner"][0]
    share(owner, doc, "all_states")
    assert audience_of(app, doc)[3] == "all_states"
    share(owner, doc, "secretariat")
    assert audience_of(app, doc) == ("secretariat", [], False, None)
    assert "document.sharing_request_cancelled" in actions(app, doc)


def test_before_publication_a_change_applies_at_once(app, people):
    owner = people["owner"][0]
    doc = uploaded_id(upload(owner, audience="secretariat"))
    assert share(owner, doc, "all_states", court=True).status_code == 303
    assert audience_of(app, doc) == ("all_states", [], True, None)


@pytest.mark.parametrize("audience", ["all_states", "secretariat"])
def test_picked_states_with_another_audience_are_a_contradiction(app, people, audience):
    owner = people["owner"][0]
    doc = published(people, audience="selected_states", states=["SEN"])
    before = audience_of(app, doc)
    response = share(owner, doc, audience, ["JPN"])
    assert response.status_code == 400
    assert "only when sharing with selected States" in response.get_data(as_text=True)
    assert audience_of(app, doc) == before
    refused = upload(owner, audience=audience, states=["JPN"])
    assert refused.status_code == 400
    assert "only when sharing with selected States" in refused.get_data(as_text=True)


def test_the_state_picker_is_grouped_with_a_filter_box(app, people):
    page = people["owner"][0].get("/documents/new").get_data(as_text=True)
    assert "data-state-filter" in page
    assert page.count('class="state-group"') == 5
    assert 'type="checkbox" name="states"' in page
    assert "<select" not in page.split("data-state-picker")[1].split("</fieldset>")[0]


def test_a_refusal_reason_is_read_by_the_owner_and_the_secretariat_only(app, people):
    doc = published(people, audience="all_states")
    share(people["owner"][0], doc, "all_states", court=True)
    decide(people["moderator"][0], doc, "refuse", "The Court asked not to receive it.")
    for who, shown in (("owner", True), ("moderator", True), ("sen", False)):
        page = people[who][0].get(f"/documents/{doc}").get_data(as_text=True)
        assert ("The Court asked not to receive it." in page) is shown, who
