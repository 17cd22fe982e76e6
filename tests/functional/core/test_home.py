"""The home page says what needs each person's attention, and where to ask for help."""

from __future__ import annotations

from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id


def act(client, doc, action, reason=""):
    return post_form(client, f"/documents/{doc}/{action}", {"reason": reason, "confirmed": "1"},
                     token_path=f"/documents/{doc}")


def attention(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('id="attention"')[1].split('id="recent"')[0]


def test_each_role_sees_what_waits_for_it(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    returned = uploaded_id(upload(owner, title="Seizure of bank accounts"))
    act(owner, returned, "submit")
    act(moderator, returned, "return", "Add the time limits.")
    waiting = uploaded_id(upload(owner, title="Tracing of real estate"))
    act(owner, waiting, "submit")
    uploaded_id(upload(owner, title="Unfinished draft"))
    published = uploaded_id(upload(owner, title="Published guideline"))
    act(owner, published, "submit")
    act(moderator, published, "publish")

    secretariat = attention(moderator)
    assert "1 document waits for moderation" in secretariat
    assert "Tracing of real estate" in secretariat

    mine = attention(owner)
    assert "Seizure of bank accounts" in mine
    assert "Add the time limits." in mine
    assert "1 draft of your State is not submitted yet" in mine
    assert "Unread notifications" in mine  # the decisions on its documents

    theirs = attention(peer)
    assert "Seizure of bank accounts" not in theirs
    assert "Unread notifications" in theirs  # told of the publication
    assert "Published guideline" in peer.get("/").get_data(as_text=True).split('id="recent"')[1]
    assert "Tracing of real estate" not in peer.get("/").get_data(as_text=True)


def test_the_secretariat_contact_is_on_the_home_error_and_dead_link_pages(app, logged_in,
                                                                           client):
    address = app.config["SECRETARIAT_EMAIL"]
    signed_in, _ = logged_in("focal_point", "FRA")
    for page in (signed_in.get("/"), signed_in.get("/nowhere"),
                 client.get("/auth/invitation/" + "x" * 43)):
        assert f'href="mailto:{address}">{address}</a>' in page.get_data(as_text=True)


def test_the_secretariat_sees_responses_waiting_and_notifications_say_their_subject(
        app, logged_in):
    from tests.support import builders
    from tests.support.questionnaires import answer_required, seeded_questionnaire

    qid = seeded_questionnaire(app)
    owner, owner_user = logged_in("focal_point", "SEN")
    moderator, moderator_user = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "FRA")
    answer_required(owner, qid)
    builders.submit(app, owner_user.id, qid)
    waiting = attention(moderator)
    assert "1 questionnaire response waits for review" in waiting
    assert "Senegal" in waiting.split("waits for review")[1]
    # The Secretariat's notification names the State and what it did, as /notifications/ does.
    assert "Senegal submitted its questionnaire response for review." in waiting
    doc = uploaded_id(upload(peer, title="Restraint of vessels"))
    act(peer, doc, "submit")
    act(moderator, doc, "publish")
    told = attention(owner)
    assert "France shared a document on the platform:" in told
    assert "Restraint of vessels" in told
    assert "about a document" not in told
    builders.decide(app, moderator_user.id, "SEN", qid, "accept")
    assert "waits for review" not in attention(moderator)


def test_the_dashboard_shows_questionnaire_completion_by_regional_group(app, logged_in):
    from tests.support import builders
    from tests.support.questionnaires import answer_required, seeded_questionnaire
    from tests.support.tables import states_by_group

    qid = seeded_questionnaire(app)
    owner, owner_user = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    answer_required(owner, qid)
    builders.submit(app, owner_user.id, qid)
    page = moderator.get("/moderation/dashboard").get_data(as_text=True)
    section = page.split("Questionnaire responses by regional group")[1]
    africa = states_by_group(withdrawn=True)["African States"]
    # States, started, waiting for a decision: Senegal's response.
    assert f"<th scope=\"row\"><a href=\"/questionnaires/{qid}/completion#group-AFR\">" \
           f"African States</a></th><td>{len(africa)}</td><td>1</td><td>1</td>" in section
