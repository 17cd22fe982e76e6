"""Administrators change questions only through a new draft version: its questions are edited,
added and removed; carried answers are never made to lie; accepted answers stay accepted
unless what their question asks changes; open and closed versions never change."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Question, Questionnaire, Response
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

MANAGE = "/questionnaires/manage"


class _Form(HTMLParser):
    """The edit form's current values, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") not in (None, "csrf_token", "confirm"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.values[self._textarea] = self.values[self._textarea].lstrip("\n")
            self._textarea = None


def _fields(question_page: str) -> dict[str, str]:
    form = _Form()
    form.feed(question_page.split('<form method="post" novalidate>')[1].split("</form>")[0])
    return form.values


def _edit(client, qid, key, **changes):
    path = f"{MANAGE}/{qid}/questions/{key}"
    page = client.get(path)
    assert page.status_code == 200
    data = {**_fields(page.get_data(as_text=True)), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return post_form(client, path, data)


def _clone(client, qid) -> str:
    page = post_form(client, f"{MANAGE}/{qid}/clone", {}, token_path=f"{MANAGE}/")
    assert page.status_code == 303, page.get_data(as_text=True)[:500]
    return page.headers["Location"].rsplit("/", 1)[1]


def _open(client, new_id):
    return post_form(client, f"{MANAGE}/{new_id}/open", {"confirm": "y"},
                     token_path=f"{MANAGE}/")


@pytest.fixture
def world(app, logged_in):
    """Version 1 open; France's response accepted, with A.3 = central_authority and D.4 = 30."""
    qid = seeded_questionnaire(app)
    admin, _ = logged_in("admin", None)
    moderator, _ = logged_in("moderator", None)
    fra, _ = logged_in("focal_point", "FRA")
    answer_required(fra, qid)
    assert save(fra, qid, "D", {"D.3.value": "yes", "D.4.value": "30"}).status_code == 303
    assert save(fra, qid, "B", {"B.5.value": "Grounds in version one"}).status_code == 303
    assert act(fra, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
    peer, _ = logged_in("focal_point", "JPN")
    return qid, admin, fra, peer


def test_a_draft_is_edited_then_opened_and_the_old_version_keeps_its_wording(app, world):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    page = _edit(admin, new_id, "A.3", text_fr="Voie de réception des demandes de la Cour",
                 options="diplomatic | Diplomatic channel | Voie diplomatique\n"
                         "central_authority | Central authority (ministry) | Autorité centrale\n"
                         "interpol | INTERPOL | INTERPOL\n"
                         "other | Other | Autre\n"
                         "email | Secure e-mail | Courriel sécurisé")
    assert page.status_code == 303
    assert _open(admin, new_id).status_code == 303
    with app.app_context():
        statuses = dict(db.session.execute(select(Questionnaire.public_id,
                                                  Questionnaire.status)).all())
        db.session.remove()
    assert statuses == {qid: "closed", new_id: "open"}
    new = peer.get(f"/questionnaires/{new_id}/compare/A.3", headers={"Accept-Language": "fr"})
    text = new.get_data(as_text=True)
    assert "Voie de réception des demandes de la Cour" in text
    assert "Courriel sécurisé" in text
    old = peer.get(f"/questionnaires/{qid}/compare/A.3",
                   headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Voie de réception des demandes de la Cour" not in old
    assert "Courriel sécurisé" not in old
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "questionnaire.question_edited")).one()
        details = json.loads(event.details)  # sealed: opened with the keys
        db.session.remove()
    assert details == {"question": "A.3",
                                         "changes": ["options_json", "text_fr"]}


def test_accepted_answers_stay_accepted_unless_their_question_changes(app, world):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    assert _edit(admin, new_id, "B.5", text_en="Grounds for refusing or postponing execution "
                                              "(revised)").status_code == 303
    assert _edit(admin, new_id, "D.7", help_en="Clearer help only.").status_code == 303
    assert _open(admin, new_id).status_code == 303
    page = peer.get(f"/questionnaires/{new_id}/states/FRA").get_data(as_text=True)
    assert "Central authority" in page  # A.3: accepted in version 1, question unchanged
    assert "Grounds in version one" not in page  # B.5 now asks something else
    assert "Grounds in version one" in fra.get(
        f"/questionnaires/{new_id}/response/B").get_data(as_text=True)  # kept for France
    with app.app_context():
        status = db.session.scalar(select(Response.status).join(
            Questionnaire, Response.questionnaire_id == Questionnaire.id).join(
            State, Response.state_id == State.id).where(Questionnaire.public_id == new_id,
                                                         State.iso3 == "FRA"))
        db.session.remove()
    assert status == "draft"  # France reviews B.5 and submits again


def test_a_response_accepted_whole_stays_accepted_in_the_new_version(app, world):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    assert _open(admin, new_id).status_code == 303
    with app.app_context():
        status = db.session.scalar(select(Response.status).join(
            Questionnaire, Response.questionnaire_id == Questionnaire.id)
            .where(Questionnaire.public_id == new_id))
        db.session.remove()
    assert status == "accepted"
    assert "Grounds in version one" in peer.get(
        f"/questionnaires/{new_id}/states/FRA").get_data(as_text=True)
    assert "Grounds in version one" in peer.get(
        f"/questionnaires/{new_id}/states/FRA/export.csv").get_data(as_text=True)


def test_carried_answers_cannot_be_made_to_lie(app, world):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    dropped = _edit(admin, new_id, "A.3", options="diplomatic | Diplomatic | Diplomatique\n"
                                                  "other | Other | Autre")
    assert dropped.status_code == 400
    assert "central_authority" in dropped.get_data(as_text=True)
    narrowed = _edit(admin, new_id, "D.4", maximum="20")
    assert narrowed.status_code == 400
    assert "carried answer(s) fall outside this range" in narrowed.get_data(as_text=True)
    with app.app_context():
        question = db.session.scalars(select(Question).join(Questionnaire).where(
            Questionnaire.public_id == new_id, Question.key == "A.3")).one()
        options = [o["code"] for o in json.loads(question.options_json)]
        db.session.remove()
    assert options == ["diplomatic", "central_authority", "interpol", "other"]


@pytest.mark.parametrize(("key", "changes", "field_message"), [
    ("A.3", {"options": "only one | line"}, "separated by |"),
    ("A.3", {"options": "Bad Code | A | B\nother | Other | Autre"}, "lower-case letters"),
    ("A.3", {"options": "a | A | A\na | B | B"}, "used twice"),
    ("A.3", {"text_en": ""}, "This text is required."),
    ("A.3", {"text_en": "x" * 1001}, "At most 1000 characters"),
    ("D.4", {"minimum": "50", "maximum": "10"}, "The minimum is above the maximum."),
    ("D.4", {"maximum": "1" + "0" * 20}, "Write a number between"),
    ("D.4", {"maximum": "NaN"}, "Write a number between"),
    ("D.4", {"condition_key": "B.5", "condition_values": "yes"}, "another closed question"),
    ("D.4", {"condition_key": "D.3", "condition_values": "maybe"}, "by their codes"),
    ("D.3", {"condition_key": "B.1", "condition_values": "yes"}, "must stay always shown"),
    ("B.5", {"condition_key": "B.2", "condition_values": "x"}, "another closed question"),
])
def test_bad_edits_are_refused_with_a_message(app, world, key, changes, field_message):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    page = _edit(admin, new_id, key, **changes)
    assert page.status_code == 400
    assert field_message in page.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "questionnaire.question_edited")) is None
        db.session.remove()


def test_questions_are_added_and_removed_in_a_draft_only(app, world, logged_in):
    qid, admin, fra, peer = world
    new_id = _clone(admin, qid)
    version_page = f"{MANAGE}/{new_id}"
    added = post_form(admin, f"{version_page}/questions",
                      {"section": "C", "number": "5", "qtype": "yes_no",
                       "text_en": "Can tax records be consulted?",
                       "text_fr": "Les données fiscales peuvent-elles être consultées ?"})
    assert added.status_code == 303
    assert added.headers["Location"].endswith("/questions/C.5")
    again = post_form(admin, f"{version_page}/questions",
                      {"section": "C", "number": "5", "qtype": "yes_no", "text_en": "x",
                       "text_fr": "y"})
    assert again.status_code == 400
    assert "C.5 exists already" in again.get_data(as_text=True)
    for number in ("\u00b2", "\u0661", "\uff15", "0", "100", "5.0"):  # ASCII 1-99 only
        odd = post_form(admin, f"{version_page}/questions",
                        {"section": "C", "number": number, "qtype": "yes_no", "text_en": "x",
                         "text_fr": "y"})
        assert odd.status_code == 400, number
        assert "Number the question from 1 to 99." in odd.get_data(as_text=True)
    bad_section = post_form(admin, f"{version_page}/questions",
                            {"section": "Z", "number": "1", "qtype": "yes_no", "text_en": "x",
                             "text_fr": "y"})
    assert bad_section.status_code == 400
    # B.2 is shown on a condition about B.1: B.1 cannot go first.
    blocked = post_form(admin, f"{version_page}/questions/B.1/remove", {"confirm": "y"},
                        token_path=version_page)
    assert blocked.status_code == 303
    removed = post_form(admin, f"{version_page}/questions/B.5/remove", {"confirm": "y"},
                        token_path=version_page)
    assert removed.status_code == 303
    assert _open(admin, new_id).status_code == 303
    with app.app_context():
        keys = list(db.session.scalars(select(Question.key).join(Questionnaire).where(
            Questionnaire.public_id == new_id).order_by(Question.position)))
        old_keys = list(db.session.scalars(select(Question.key).join(Questionnaire).where(
            Questionnaire.public_id == qid)))
        db.session.remove()
    assert "B.1" in keys
    assert "B.5" not in keys
    assert "B.5" in old_keys
    assert keys[keys.index("C.4") + 1] == "C.5"  # at the end of its section
    # The new question is answered like any other; the removed one is gone.
    assert save(fra, new_id, "C", {"C.5.value": "yes"}).status_code == 303
    assert fra.get(f"/questionnaires/{new_id}/compare/B.5").status_code == 404
    assert "Grounds in version one" in peer.get(
        f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)  # the old one keeps it
    # Now open, the version refuses every change.
    refused = _edit(admin, new_id, "A.3", text_en="Changed after opening")
    assert refused.status_code == 409
    assert "Only a draft version can be edited" in refused.get_data(as_text=True)
    assert post_form(admin, f"{version_page}/questions",
                     {"section": "C", "number": "9", "qtype": "yes_no", "text_en": "x",
                      "text_fr": "y"}).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Question.text_en).join(Questionnaire).where(
            Questionnaire.public_id == new_id, Question.key == "A.3")) != \
            "Changed after opening"
        db.session.remove()


def test_only_administrators_manage_versions(app, world, logged_in):
    qid, admin, fra, peer = world
    moderator, _ = logged_in("moderator", None)
    for client in (moderator, fra):
        for path in (f"{MANAGE}/", f"{MANAGE}/{qid}", f"{MANAGE}/{qid}/questions/A.3"):
            assert client.get(path).status_code == 403
        assert post_form(client, f"{MANAGE}/{qid}/clone", {},
                         token_path="/questionnaires/").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Questionnaire.id).where(
            Questionnaire.version == 2)) is None
        db.session.remove()
    assert admin.get(f"{MANAGE}/00000000-0000-4000-8000-000000000000").status_code == 404
    assert post_form(admin, f"{MANAGE}/{qid}/closed", {},
                     token_path=f"{MANAGE}/").status_code == 303  # unconfirmed: nothing
    with app.app_context():
        assert db.session.scalar(select(Questionnaire.status)) == "open"
        db.session.remove()
