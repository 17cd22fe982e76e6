"""The directory of focal points: built from section A's contact answers through the
visibility rule, with each listing's last-confirmed date, and under the listed person's
control once they confirmed it is them (take it out, put it back, confirm it is accurate).
What a hidden listing shows elsewhere, and who may confirm one: test_hidden_contacts.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coop_platform.audit.models import AuditEvent
from coop_platform.core.clock import utcnow
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question
from tests.conftest import login, post_form
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)

PERSON = "Marie.Curie@Justice.example.org"  # as the State typed it, capitals included


@pytest.fixture
def world(app, logged_in, make_user):
    """France lists the person (accepted); Senegal has a draft listing; the person has an
    account, as a focal point of France."""
    qid = seeded_questionnaire(app)
    person = make_user("focal_point", "FRA", email="marie.curie@justice.example.org")
    fra = app.test_client()
    assert login(fra, app, person).status_code == 302
    moderator, _ = logged_in("moderator", None)
    answer_required(fra, qid)
    assert save(fra, qid, "A", {"A.1.authority": "Ministère de la Justice, BEPI",
                                "A.1.position": "Head of office", "A.1.email": PERSON,
                                "A.1.phone": "+33 1 44 77 60 60",
                                "A.1.languages": "French, English",
                                "A.2.authority": "AGRASC",
                                "A.2.email": "agrasc@justice.example.org"}).status_code == 303
    assert act(fra, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
    sen, _ = logged_in("focal_point", "SEN")
    answer_required(sen, qid)
    assert save(sen, qid, "A", {"A.1.authority": "Direction des affaires criminelles (draft)"}
                ).status_code == 303
    return qid, fra, person, moderator, sen


def _hide(client, action: str):
    return post_form(client, "/directory/my-listing", {"action": action},
                     token_path="/directory/")


def test_listings_come_from_section_a_through_the_visibility_rule(world, logged_in):
    qid, fra, person, moderator, sen = world
    peer, _ = logged_in("focal_point", "JPN")
    court, _ = logged_in("court", None)
    for reader in (peer, court):
        page = reader.get("/directory/")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Ministère de la Justice, BEPI, Head of office" in text
        assert "AGRASC" in text
        assert "+33 1 44 77 60 60" in text
        assert "Marie.Curie@justice.example.org" in text  # the domain lower-cased when saved
        assert "Direction des affaires criminelles (draft)" not in text
        assert "2 listings" in text
    own = sen.get("/directory/").get_data(as_text=True)
    assert "Direction des affaires criminelles (draft)" in own  # its own draft
    assert "Direction des affaires criminelles" not in moderator.get(
        "/directory/").get_data(as_text=True)  # never submitted
    western = peer.get("/directory/?group=AFR").get_data(as_text=True)
    assert "AGRASC" not in western
    assert peer.get("/directory/?group=NOWHERE").status_code == 400


def test_the_listed_person_takes_the_listing_out_and_puts_it_back(app, world, logged_in):
    qid, fra, person, moderator, sen = world
    peer, _ = logged_in("focal_point", "JPN")
    mine = fra.get("/directory/").get_data(as_text=True)
    assert "Your listing" in mine
    assert "Your listing" not in peer.get("/directory/").get_data(as_text=True)
    # Nothing to take out before the person confirms the listing is them.
    assert "Take my listing out of the directory" not in mine
    assert post_form(fra, "/directory/my-listing",
                     {"action": "claim", "state": "FRA", "key": "A.1"},
                     token_path="/directory/").status_code == 303
    assert "Take my listing out of the directory" in fra.get("/directory/").get_data(
        as_text=True)
    assert _hide(fra, "hide").status_code == 303
    assert _hide(fra, "hide").status_code == 303  # again: nothing changes, nothing recorded
    peers_view = peer.get("/directory/").get_data(as_text=True)
    assert "BEPI" not in peers_view
    assert "AGRASC" in peers_view  # a listing with another address stays
    court, _ = logged_in("court", None)
    assert "BEPI" not in court.get("/directory/").get_data(as_text=True)
    for keeper in (fra, moderator):
        text = keeper.get("/directory/").get_data(as_text=True)
        assert "BEPI" in text
        assert "Out of the directory for others" in text
    assert _hide(fra, "show").status_code == 303
    assert "BEPI" in peer.get("/directory/").get_data(as_text=True)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("directory.%")).order_by(AuditEvent.seq)))
        db.session.remove()
    assert actions == ["directory.listing_claimed", "directory.listing_hidden",
                       "directory.listing_shown"]


def test_nobody_else_can_take_a_listing_out(world, logged_in):
    qid, fra, person, moderator, sen = world
    peer, _ = logged_in("focal_point", "JPN")
    assert _hide(peer, "hide").status_code == 303  # hides the peer's own (absent) listing
    assert "BEPI" in peer.get("/directory/").get_data(as_text=True)
    assert _hide(peer, "vanish").status_code == 400
    no_token = peer.post("/directory/my-listing", data={"action": "hide"})
    assert no_token.status_code == 400


def test_the_listed_person_confirms_from_the_directory(app, world):
    qid, fra, person, moderator, sen = world
    with app.app_context():
        ids = (select(AnswerRevision.id).join(Answer, AnswerRevision.answer_id == Answer.id)
               .join(Question, Answer.question_id == Question.id).where(Question.key == "A.1"))
        db.session.execute(update(AnswerRevision).where(AnswerRevision.id.in_(ids))
                           .values(confirmed_at=utcnow() - timedelta(days=400)))
        db.session.commit()
        db.session.remove()
    assert "not confirmed for 12 months" in fra.get("/directory/").get_data(as_text=True)
    page = post_form(fra, f"/questionnaires/{qid}/response/confirm", {"key": "A.1"},
                     token_path="/directory/")
    assert page.status_code == 303
    assert "not confirmed for 12 months" not in fra.get("/directory/").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "questionnaire.answers_confirmed")).one()
        details = json.loads(event.details)  # sealed: opened with the keys
        db.session.remove()
    assert details == {"questions": ["A.1"]}
    assert event.actor_id == person.id


def test_the_directory_needs_a_signed_in_user(app, world):
    page = app.test_client().get("/directory/")
    assert page.status_code == 302
    assert "/auth/login" in page.headers["Location"]
