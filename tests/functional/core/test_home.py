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
