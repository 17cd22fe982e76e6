"""Who is told that a document was published or shared more widely: exactly the people it
now reaches, in-app always, by e-mail if they keep it on; never content, never a confidential
title; opening a notice marks it read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.extensions import db
from coop_platform.moderation.models import Notification
from coop_platform.states.models import State
from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id


def kinds(app, account) -> list[str]:
    with app.app_context():
        found = sorted(db.session.scalars(select(Notification.kind)
                                          .where(Notification.user_id == account.id)))
        db.session.remove()
        return found


def act(client, doc, action, reason=""):
    return post_form(client, f"/documents/{doc}/{action}", {"reason": reason, "confirmed": "1"},
                     token_path=f"/documents/{doc}")


@pytest.fixture
def people(app, logged_in, make_user):
    made = {
        "owner": logged_in("focal_point", "FRA"),
        "moderator": logged_in("moderator", None),
        "sen": logged_in("focal_point", "SEN"),
        "jpn": logged_in("focal_point", "JPN"),
        "court": logged_in("court", None),
    }
    made["disabled_sen"] = (None, make_user(state="SEN", status="disabled"))
    made["inactive_state"] = (None, make_user(state="BRA"))
    with app.app_context():
        db.session.scalars(select(State).where(State.iso3 == "BRA")).one().active = False
        db.session.commit()
        db.session.remove()
    return made


def publish(people, **kw):
    owner, moderator = people["owner"][0], people["moderator"][0]
    doc = uploaded_id(upload(owner, **kw))
    act(owner, doc, "submit")
    act(moderator, doc, "publish")
    return doc


@pytest.mark.parametrize(("sharing", "told"), [
    ({"audience": "all_states"}, {"sen", "jpn"}),
    ({"audience": "all_states", "share_with_court": "y"}, {"sen", "jpn", "court"}),
    ({"audience": "selected_states", "states": ["SEN"]}, {"sen"}),
    ({"audience": "secretariat", "share_with_court": "y"}, {"court"}),
    ({"audience": "secretariat"}, set()),
])
def test_a_publication_tells_exactly_those_it_reaches(app, people, outbox, sharing, told):
    publish(people, **sharing)
    for who in ("sen", "jpn", "court", "disabled_sen", "inactive_state"):
        assert (kinds(app, people[who][1]) == ["shared"]) is (who in told), who
    assert kinds(app, people["owner"][1]) == ["decision"]
    assert "shared" not in kinds(app, people["moderator"][1])


def test_a_wider_sharing_tells_only_those_newly_reached(app, people, outbox):
    doc = publish(people, audience="selected_states", states=["SEN"])
    post_form(people["owner"][0], f"/documents/{doc}/sharing", {"audience": "all_states"},
              token_path=f"/documents/{doc}")
    assert kinds(app, people["jpn"][1]) == []  # not before the Secretariat accepts
    post_form(people["moderator"][0], f"/documents/{doc}/sharing/accept", {},
              token_path=f"/documents/{doc}")
    assert kinds(app, people["jpn"][1]) == ["shared"]
    assert kinds(app, people["sen"][1]) == ["shared"]  # told once, at publication


def test_e_mail_follows_each_persons_setting_and_never_carries_a_confidential_title(
        app, people, outbox):
    jpn_client, jpn = people["jpn"]
    assert post_form(jpn_client, "/auth/account/notifications", {},
                     token_path="/auth/account").status_code == 303  # box unticked: off
    with app.app_context():
        assert db.session.get(User, jpn.id).email_notifications is False
        db.session.remove()
    outbox.clear()
    publish(people, audience="all_states", title="Secret seizure plan",
            classification="confidential")
    recipients = {m.to for m in outbox}
    assert people["sen"][1].email in recipients
    assert jpn.email not in recipients
    assert kinds(app, jpn) == ["shared"]  # still told in the platform
    for message in outbox:
        assert "Secret seizure plan" not in message.subject + message.body


def test_opening_a_notification_marks_it_read_and_only_ones_own(app, people, outbox):
    doc = publish(people, audience="all_states")
    sen_client, sen = people["sen"]
    with app.app_context():
        note = db.session.scalars(select(Notification).where(Notification.user_id == sen.id)).one()
        note_id = note.id
        db.session.remove()
    assert people["jpn"][0].get(f"/notifications/{note_id}").status_code == 404
    page = sen_client.get("/notifications/").get_data(as_text=True)
    assert 'class="notification unread"' in page
    opened = sen_client.get(f"/notifications/{note_id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/documents/{doc}")
    page = sen_client.get("/notifications/").get_data(as_text=True)
    assert 'class="notification unread"' not in page


def test_a_notice_shows_no_title_once_the_document_is_no_longer_shared(app, people, outbox):
    doc = publish(people, audience="all_states", title="Asset tracing guide")
    post_form(people["owner"][0], f"/documents/{doc}/sharing",
              {"audience": "selected_states", "states": ["SEN"]}, token_path=f"/documents/{doc}")
    page = people["jpn"][0].get("/notifications/").get_data(as_text=True)
    assert "Asset tracing guide" not in page
    assert "no longer shared with you" in page
