"""Change notifications: following a State or a question, told when an accepted answer one
may read changes (and only then, and only of what one may read); focal points reminded of
answers unconfirmed for eleven months, at most once a month."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.extensions import db
from coop_platform.moderation.models import Notification
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Follow,
    Response,
)
from coop_platform.states.models import State
from tests.conftest import post_form
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)

# The keys answer_required() fills, plus B.5 written below: what France's first acceptance
# makes public (tests/support/questionnaires.py REQUIRED, read as a list here).
FIRST_ACCEPTED = ["A.1", "A.3", "A.4", "B.1", "B.3", "B.4", "B.5", "B.6", "C.1", "C.2", "D.1",
                  "D.2", "D.3", "D.7", "F.1"]


def _notes(app, account, kind="answer_changed") -> list[dict]:
    with app.app_context():
        found = [json.loads(n.params) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == account.id,
                                       Notification.kind == kind)
            .order_by(Notification.id))]
        db.session.remove()
    return found


def _follow(client, kind, target, qid="", action="follow", back="page"):
    return post_form(client, "/questionnaires/follow",
                     {"kind": kind, "target": target, "questionnaire": qid, "action": action,
                      "back": back}, token_path="/notifications/")


@pytest.fixture
def world(app, logged_in):
    qid = seeded_questionnaire(app)
    fra, _ = logged_in("focal_point", "FRA")
    colleague = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    jpn = logged_in("focal_point", "JPN")
    court = logged_in("court", None)
    answer_required(fra, qid)
    assert save(fra, qid, "B", {"B.5.value": "Grounds of refusal, first text."}
                ).status_code == 303
    return qid, fra, colleague, moderator, jpn, court


def _accept(app, fra, moderator, qid):
    assert act(fra, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303


def test_followers_are_told_of_the_accepted_changes_they_may_read(app, world, outbox):
    qid, fra, colleague, moderator, (jpn, jpn_user), (court, court_user) = world
    page = _follow(jpn, "state", "FRA", qid)
    assert page.status_code == 303
    assert page.headers["Location"].endswith(f"/questionnaires/{qid}/states/FRA")
    assert _follow(court, "question", "B.5", qid).headers["Location"].endswith(
        f"/questionnaires/{qid}/compare/B.5")
    _follow(colleague[0], "state", "FRA", qid)  # France's own: has the decision already
    _accept(app, fra, moderator, qid)
    assert [n["keys"] for n in _notes(app, jpn_user)] == [FIRST_ACCEPTED]
    assert [n["keys"] for n in _notes(app, court_user)] == [["B.5"]]
    assert _notes(app, colleague[1]) == []
    mails = [m for m in outbox if m.to == jpn_user.email]
    assert len(mails) == 1
    assert "France" in mails[0].body
    assert "first text" not in mails[0].body  # the keys, never the content
    assert f"/questionnaires/{qid}/states/FRA" in mails[0].body
    # B.5 is now kept for the Secretariat: nobody outside it hears of it, not even that it
    # changed; C.2 changes openly.
    assert save(fra, qid, "B", {"B.5.value": "Grounds, second text.",
                                "B.5.secretariat_only": "y"}).status_code == 303
    assert save(fra, qid, "C", {"C.2.value": "yes"}).status_code == 303
    _accept(app, fra, moderator, qid)
    assert [n["keys"] for n in _notes(app, jpn_user)] == [FIRST_ACCEPTED, ["C.2"]]
    assert [n["keys"] for n in _notes(app, court_user)] == [["B.5"]]
    # A revision that ends as the accepted text was changes nothing a reader sees: nobody
    # is told.
    assert save(fra, qid, "C", {"C.2.value": "no"}).status_code == 303
    assert save(fra, qid, "C", {"C.2.value": "yes"}).status_code == 303
    _accept(app, fra, moderator, qid)
    assert len(_notes(app, jpn_user)) == 2
    # The notice leads to the State's answers.
    with app.app_context():
        note_id = db.session.scalars(select(Notification.id).where(
            Notification.user_id == jpn_user.id, Notification.kind == "answer_changed")).first()
        db.session.remove()
    opened = jpn.get(f"/notifications/{note_id}")
    assert opened.headers["Location"].endswith(f"/questionnaires/{qid}/states/FRA")


def test_followers_of_an_inactive_state_or_a_disabled_account_are_not_told(app, world):
    qid, fra, colleague, moderator, (jpn, jpn_user), (court, court_user) = world
    _follow(jpn, "state", "FRA", qid)
    _follow(court, "state", "FRA", qid)
    with app.app_context():
        db.session.execute(update(User).where(User.id == court_user.id)
                           .values(status="disabled"))
        db.session.scalars(select(State).where(State.iso3 == "JPN")).one().active = False
        db.session.commit()
        db.session.remove()
    _accept(app, fra, moderator, qid)
    assert _notes(app, jpn_user) == []
    assert _notes(app, court_user) == []


def test_following_is_checked_and_idempotent(app, world):
    qid, fra, colleague, moderator, (jpn, jpn_user), _ = world
    assert _follow(jpn, "state", "FRA", qid).status_code == 303
    assert _follow(jpn, "state", "FRA", qid).status_code == 303
    assert _follow(jpn, "question", "D.3", qid).status_code == 303
    with app.app_context():
        follows = sorted(db.session.execute(select(Follow.kind, Follow.target).where(
            Follow.user_id == jpn_user.id)).all())
        db.session.remove()
    assert follows == [("question", "D.3"), ("state", "FRA")]
    page = jpn.get("/notifications/").get_data(as_text=True)
    assert "France" in page
    assert "Question D.3" in page
    assert _follow(jpn, "state", "XXX", qid).status_code == 404
    assert _follow(jpn, "question", "Z.99", qid).status_code == 404
    assert _follow(jpn, "questionnaire", "FRA", qid).status_code == 400
    # A State out of reach (withdrawn) cannot be followed by a peer.
    assert _follow(jpn, "state", "HUN", qid).status_code == 404
    # Stopping, back to the notifications page (a foreign "back" leads nowhere else).
    page = _follow(jpn, "state", "FRA", qid, action="stop", back="https://evil.example")
    assert page.headers["Location"].endswith("/notifications/#following")
    with app.app_context():
        left = list(db.session.scalars(select(Follow.target).where(
            Follow.user_id == jpn_user.id)))
        db.session.remove()
    assert left == ["D.3"]
    no_token = jpn.post("/questionnaires/follow", data={"kind": "state", "target": "SEN"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Follow.id).where(Follow.target == "SEN")) is None
        db.session.remove()


def _age_all(app, iso3: str, days: int) -> None:
    with app.app_context():
        ids = (select(AnswerRevision.id).join(Answer, AnswerRevision.answer_id == Answer.id)
               .join(Response, Answer.response_id == Response.id)
               .join(State, Response.state_id == State.id).where(State.iso3 == iso3))
        db.session.execute(update(AnswerRevision).where(AnswerRevision.id.in_(ids))
                           .values(confirmed_at=utcnow() - timedelta(days=days)))
        db.session.commit()
        db.session.remove()


def test_focal_points_are_reminded_after_eleven_months_once_a_month(app, world, runner,
                                                                    logged_in):
    qid, fra, colleague, moderator, (jpn, jpn_user), _ = world
    sen, sen_user = logged_in("focal_point", "SEN")
    assert save(sen, qid, "B", {"B.5.value": "Recent answer."}).status_code == 303
    _age_all(app, "FRA", 320)  # ten and a half months: not yet
    assert runner.invoke(args=["remind"]).output.startswith("reminded 0 State(s) of answers")
    _age_all(app, "FRA", 340)  # past eleven months (335 days)
    assert runner.invoke(args=["remind"]).output.startswith("reminded 1 State(s) of answers")
    assert runner.invoke(args=["remind"]).output.startswith("reminded 0 State(s) of answers")
    notes = _notes(app, colleague[1], "answers_reminder")
    assert len(notes) == 1
    assert notes[0]["count"] == len(FIRST_ACCEPTED)
    assert _notes(app, sen_user, "answers_reminder") == []
    assert _notes(app, jpn_user, "answers_reminder") == []
    text = colleague[0].get("/notifications/").get_data(as_text=True)
    assert "15 answers of your State have not been confirmed for eleven months" in text
    # A month later, still unconfirmed: reminded again.
    with app.app_context():
        db.session.execute(update(Response).values(reminded_at=utcnow() - timedelta(days=31)))
        db.session.commit()
        db.session.remove()
    assert runner.invoke(args=["remind"]).output.startswith("reminded 1 State(s) of answers")
    # Confirmed answers are not reminded of; nor those of a closed questionnaire.
    with app.app_context():
        db.session.execute(update(Response).values(reminded_at=None))
        db.session.commit()
        db.session.remove()
    post_form(fra, f"/questionnaires/{qid}/response/confirm",
              {"key": [*FIRST_ACCEPTED[:-1]]}, token_path=f"/questionnaires/{qid}/response")
    assert runner.invoke(args=["remind"]).output.startswith("reminded 1 State(s) of answers")
    notes = _notes(app, colleague[1], "answers_reminder")
    assert notes[-1]["count"] == 1  # F.1 only
    with app.app_context():
        db.session.execute(update(Response).values(reminded_at=None))
        db.session.commit()
        db.session.remove()
    assert runner.invoke(args=["questionnaires", "close", qid]).exit_code == 0
    assert runner.invoke(args=["remind"]).output.startswith("reminded 0 State(s) of answers")
