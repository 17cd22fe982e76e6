"""The State profile (`/states/<ISO3>`): its answers as the reader may see them, its published
documents, its focal points, what changed recently — and a clear word when it has none."""

from __future__ import annotations

import pytest

from tests.support import builders
from tests.support.questionnaires import REQUIRED, seeded_questionnaire

REQUIRED_FIELDS = {k: v for fields in REQUIRED.values() for k, v in fields.items()}
HIDDEN = "Grounds only the Secretariat reads: mutual legal assistance treaty with Ruritania."


@pytest.fixture
def france(app, make_user):
    """France: an accepted response (D.3 "Partly"; B.5 marked "Secretariat only"), one
    published and one draft document. Senegal: answers saved, never submitted."""
    qid = seeded_questionnaire(app)
    moderator = make_user(role="moderator", state=None)
    fra = make_user(state="FRA")
    builders.save_answers(app, fra.id, qid, None, {
        **REQUIRED_FIELDS, "D.3.value": "partly", "B.5.value": HIDDEN,
        "B.5.secretariat_only": "y", "A.1.authority": "Bureau de l'entraide pénale"})
    builders.submit(app, fra.id, qid)
    builders.decide(app, moderator.id, "FRA", qid, "accept")
    builders.document(app, fra.id, "published", title="Freezing orders: the procedure")
    builders.document(app, fra.id, "draft", title="Draft guideline on confiscation")
    sen = make_user(state="SEN")
    builders.save_answers(app, sen.id, qid, "D", {"D.3.value": "yes"})
    return qid


def test_a_peer_reads_the_accepted_answers_documents_focal_points_and_changes(
        france, logged_in):
    client, _ = logged_in("focal_point", "DEU")
    page = client.get("/states/FRA")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>France</h1>" in text
    assert "Western European and other States" in text
    assert "Partly" in text
    assert "Last confirmed" in text
    assert "D. " in text  # the answers are grouped by section
    assert HIDDEN not in text
    assert "Secretariat only" not in text
    assert "Freezing orders: the procedure" in text
    assert "Draft guideline on confiscation" not in text
    assert "Bureau de l&#39;entraide pénale" in text  # its focal point, as the directory lists it
    recent = text.split("What changed recently")[1]
    assert "answers written:" in recent
    assert ">D.3</a>" in recent
    assert "document published:" in recent
    assert "No accepted response yet" not in text


def test_a_state_without_an_accepted_response_says_so_to_each_reader(france, logged_in):
    peer, _ = logged_in("focal_point", "DEU")
    text = peer.get("/states/SEN").get_data(as_text=True)
    assert "No accepted response yet" in text
    assert "African States" in text
    assert "Nothing you may read changed in the last six months." in text
    secretariat, _ = logged_in("moderator", None)
    text = secretariat.get("/states/SEN").get_data(as_text=True)
    assert "No answer has been submitted to the Secretariat yet." in text
    assert "Status: Being prepared" in text
    own, _ = logged_in("focal_point", "SEN")
    text = own.get("/states/SEN").get_data(as_text=True)
    assert "1 of" in text
    assert "questions answered" in text
    assert "Yes" in text


def test_the_secretariat_reads_what_was_submitted_including_secretariat_only(
        france, logged_in):
    client, _ = logged_in("moderator", None)
    text = client.get("/states/FRA").get_data(as_text=True)
    assert HIDDEN in text
    assert "Secretariat only" in text
    assert "Status: Accepted" in text


def test_one_address_per_state_and_none_for_a_state_out_of_reach(france, logged_in, client):
    peer, _ = logged_in("focal_point", "DEU")
    lower = peer.get("/states/fra")
    assert lower.status_code == 301
    assert lower.headers["Location"].endswith("/states/FRA")
    assert peer.get("/states/XXX").status_code == 404
    # Hungary withdrew (the States data file): peers no longer reach it; the Secretariat does.
    assert peer.get("/states/HUN").status_code == 404
    secretariat, _ = logged_in("moderator", None)
    assert secretariat.get("/states/HUN").status_code == 200
    anonymous = client.get("/states/FRA")
    assert anonymous.status_code == 302
    assert "/auth/login" in anonymous.headers["Location"]
