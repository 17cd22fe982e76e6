"""A person who took their listing out of the directory: their e-mail and phone reach their own
State, the Secretariat and themselves, and nobody else — on any page, print view, export,
search result or snippet (issue 19, finding 1). And a listing is a person's only once they
have confirmed it: naming someone's address gives a State neither a say over that person's
choice nor a way to learn it (finding 4).

Every page of the platform is in one of two tables below: those that show another State's
contact answers (each read as another State, as the Court and anonymously) and those that
cannot, with the reason. A new page fails `test_every_page_is_in_a_table` until it is put in
one — and in the first, it is checked like the others.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.extensions import db
from coop_platform.questionnaires.models import ListingClaim
from tests.conftest import login, post_form
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)

ADDRESS = "marie.curie@justice.example.org"
PHONE = "+33 1 44 77 60 60"
PERSONAL = (ADDRESS, "Marie.Curie@justice.example.org", PHONE, "44 77 60 60")
NEUTRAL = "e-mail and phone listed with the Secretariat only"

# Pages that show France's contact answer A.1 to another State and to the Court ({qid}: the
# questionnaire). Each must show the office (so the check means something) and never the
# person's e-mail or phone.
SHOWING = {
    "questionnaires.state_response": ["/questionnaires/{qid}/states/FRA"],
    "questionnaires.printable": ["/questionnaires/{qid}/states/FRA/print"],
    "profiles.state": ["/states/FRA"],
    "questionnaires.compare": ["/questionnaires/{qid}/compare/A.1"],
    "questionnaires.grid": ["/questionnaires/{qid}/grid?q=A.1&q=A.2"],
    "questionnaires.export_response": [
        "/questionnaires/{qid}/states/FRA/export.csv?layout=long",
        "/questionnaires/{qid}/states/FRA/export.csv?layout=wide",
        "/questionnaires/{qid}/states/FRA/export.xlsx?layout=long"],
    "questionnaires.export_comparison": [
        "/questionnaires/{qid}/compare/A.1/export.csv",
        "/questionnaires/{qid}/compare/A.1/export.xlsx?layout=wide"],
    "questionnaires.export_grid": ["/questionnaires/{qid}/grid/export.csv?q=A.1&layout=wide",
                                   "/questionnaires/{qid}/grid/export.xlsx?q=A.1"],
    "questionnaires.export_questionnaire": ["/questionnaires/{qid}/export.csv?layout=long",
                                            "/questionnaires/{qid}/export.xlsx?layout=wide"],
    # The remarks' snippet: the words around the address, not the address.
    "search.results": ["/search?q=BEPI", "/search?q=urgent+cases+BEPI&kind=answer"],
}
# Pages that cannot show another State's contact answers, and why. Those without parameters
# are read too, as each reader, and must not hold the person's details either.
NOT_SHOWING = {
    "directory.index": "leaves a hidden listing out (test_the_directory_leaves_it_out)",
    "questionnaires.index": "lists questionnaire versions",
    "questionnaires.overview": "lists States and sections, no answer",
    "questionnaires.my_response": "the reader's own State's response",
    "questionnaires.section": "the reader's own State's answers, to edit",
    "questionnaires.completion_page": "the Secretariat's counts",
    "moderation.review_response": "the Secretariat's review",
    "moderation.queue_page": "the Secretariat's queue: names and dates",
    "moderation.dashboard_page": "the Secretariat's counts",
    "manage_questionnaires.versions": "administrators: questions, no answers",
    "manage_questionnaires.version": "administrators: questions, no answers",
    "manage_questionnaires.question": "administrators: one question, no answers",
    "notifications.index": "notifications name a State and a question, never an answer",
    "notifications.open_one": "a redirection to the page notified",
    "home.index": "links and counts",
    "documents.index": "documents, never answers",
    "documents.detail": "a document",
    "documents.download": "a document's file",
    "documents.edit": "a document's metadata",
    "documents.new_version": "a document's form",
    "documents.revise": "a document's revision form",
    "documents.upload": "a document's form",
    "documents.step_up": "a second-factor form",
    "audit.events": "the Secretariat's trail: ids and actions, never answers",
    "audit.export_csv": "the same trail, as a file",
    "admin.invite": "an invitation form",
    "admin.state_edit": "a State's registry entry",
    "admin.states_list": "the States",
    "admin.user": "an account: its own e-mail, not listings",
    "admin.users": "the accounts",
    "auth.account": "the reader's own account",
    "auth.change_password": "a form",
    "auth.invitation": "an invitation form",
    "auth.login": "a form",
    "auth.recovery_codes": "the reader's own codes",
    "auth.recovery_codes_file": "the reader's own codes",
    "auth.second_factor": "a form",
    "core.healthz": "a status",
    "core.metrics": "counters",
    "core.readyz": "a status",
    "static": "files of the interface",
}
PLAIN = ["/", "/directory/", "/questionnaires/", "/questionnaires/{qid}/", "/notifications/",
         "/documents/", "/auth/account", "/healthz", "/readyz"]


def test_every_page_is_in_a_table(app):
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    assert not set(SHOWING) & set(NOT_SHOWING)
    assert pages - set(SHOWING) - set(NOT_SHOWING) == set(), "classify the new page above"
    assert set(SHOWING) | set(NOT_SHOWING) <= pages  # no page listed that is gone


def _claim(client, iso3: str, key: str):
    return post_form(client, "/directory/my-listing",
                     {"action": "claim", "state": iso3, "key": key}, token_path="/directory/")


def _hide(client, action: str = "hide"):
    return post_form(client, "/directory/my-listing", {"action": action},
                     token_path="/directory/")


def _text(page) -> str:
    """Everything a page or a file says, XLSX unpacked."""
    body = page.get_data()
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(n).decode("utf-8") for n in book.namelist()
                           if n.endswith(".xml"))
    return body.decode("utf-8-sig")


def _leaks(text: str) -> list[str]:
    return [p for p in PERSONAL if p.casefold() in text.casefold()]


@pytest.fixture
def world(app, logged_in, make_user):
    """France lists the person under A.1, with the address in the remarks too, accepted; the
    person, a focal point of France, confirmed the listing and took it out."""
    qid = seeded_questionnaire(app)
    person = make_user("focal_point", "FRA", email=ADDRESS)
    fra = app.test_client()
    assert login(fra, app, person).status_code == 302
    moderator, _ = logged_in("moderator", None)
    answer_required(fra, qid)
    assert save(fra, qid, "A", {
        "A.1.authority": "Ministère de la Justice, BEPI", "A.1.position": "Head of office",
        "A.1.email": ADDRESS, "A.1.phone": PHONE, "A.1.languages": "French, English",
        "A.1.remarks": f"In urgent cases write to {ADDRESS.upper()} or call {PHONE}.",
        "A.2.authority": "AGRASC", "A.2.email": "agrasc@justice.example.org"}
    ).status_code == 303
    assert act(fra, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
    assert _claim(fra, "FRA", "A.1").status_code == 303
    assert _hide(fra).status_code == 303
    return qid, fra, person, moderator


def test_no_page_or_file_gives_a_hidden_listings_details_to_others(app, world, logged_in):
    qid, fra, person, moderator = world
    readers = {"another State": logged_in("focal_point", "JPN")[0],
               "the Court": logged_in("court", None)[0]}
    for who, reader in readers.items():
        for endpoint, paths in SHOWING.items():
            for path in paths:
                page = reader.get(path.format(qid=qid))
                assert page.status_code == 200, (who, path)
                text = _text(page)
                assert "BEPI</mark>" in text if path.startswith("/search") else "BEPI" in text
                # (the office is the State's: it stays, and search finds it)
                assert _leaks(text) == [], (who, endpoint, path)
                if not path.startswith("/search"):
                    assert NEUTRAL in text, (who, path)  # said, not silently dropped
        for path in PLAIN:
            assert _leaks(_text(reader.get(path.format(qid=qid)))) == [], (who, path)
    anonymous = app.test_client()
    for path in [p for paths in SHOWING.values() for p in paths] + PLAIN:
        page = anonymous.get(path.format(qid=qid))
        assert page.status_code in (200, 302), path
        assert _leaks(_text(page)) == [], path
    # Its own State, the Secretariat and the person read it whole.
    colleague, _ = logged_in("focal_point", "FRA")
    for keeper in (colleague, moderator, fra):
        for path in ("/questionnaires/{qid}/states/FRA", "/questionnaires/{qid}/export.csv"):
            text = _text(keeper.get(path.format(qid=qid)))
            assert ADDRESS in text.casefold(), path
            assert PHONE in text
            assert NEUTRAL not in text


def test_nobody_finds_a_listing_by_its_address(world, logged_in):
    qid, fra, person, moderator = world
    peer, _ = logged_in("focal_point", "JPN")
    for reader in (peer, moderator, fra):
        for words in (ADDRESS, "marie.curie", "curie", '"44 77 60 60"'):
            page = reader.get("/search", query_string={"q": words, "kind": "answer"})
            assert page.status_code == 200
            assert "Nothing you may see matches this search." in page.get_data(as_text=True)
    # The office is found, by everyone who may read the answer.
    assert "BEPI" in peer.get("/search?q=BEPI").get_data(as_text=True)


def test_the_directory_leaves_it_out_and_shows_it_again(world, logged_in):
    qid, fra, person, moderator = world
    peer, _ = logged_in("focal_point", "JPN")
    court, _ = logged_in("court", None)
    for other in (peer, court):
        text = other.get("/directory/").get_data(as_text=True)
        assert "BEPI" not in text
        assert "AGRASC" in text
    for keeper in (fra, moderator):
        text = keeper.get("/directory/").get_data(as_text=True)
        assert "BEPI" in text
        assert "Out of the directory for others" in text
    assert _hide(fra, "show").status_code == 303
    text = peer.get(f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    assert ADDRESS in text.casefold()
    assert NEUTRAL not in text


def test_a_listing_is_the_persons_only_once_confirmed(app, world, logged_in, make_user):
    """Senegal names the person's address, and an address nobody has: its own pages show
    both alike, and the person's choice does not reach Senegal's listing until they
    confirm that one too."""
    qid, fra, person, moderator = world
    sen, _ = logged_in("focal_point", "SEN")
    answer_required(sen, qid)
    assert save(sen, qid, "A", {"A.1.authority": "Direction des affaires criminelles",
                                "A.1.email": ADDRESS, "A.2.authority": "Parquet général",
                                "A.2.email": "nobody.here@justice.example.org"}
                ).status_code == 303
    assert act(sen, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "SEN", qid), "accept").status_code == 303
    own = sen.get("/directory/").get_data(as_text=True)
    assert "Out of the directory for others" not in own  # no telling which address is whose
    peer, _ = logged_in("focal_point", "JPN")
    text = peer.get(f"/questionnaires/{qid}/states/SEN").get_data(as_text=True)
    assert ADDRESS in text.casefold()  # Senegal's listing: not the person's to hide
    assert "Direction des affaires criminelles" in peer.get("/directory/").get_data(as_text=True)
    # The person is asked, not told: Senegal's listing is offered for confirmation.
    mine = fra.get("/directory/").get_data(as_text=True)
    assert "This is me" in mine
    assert "Confirmed as you" in mine
    assert _claim(fra, "SEN", "A.1").status_code == 303
    assert _claim(fra, "SEN", "A.1").status_code == 303  # again: one claim, one record
    assert ADDRESS not in peer.get(f"/questionnaires/{qid}/states/SEN").get_data(
        as_text=True).casefold()
    assert "Out of the directory for others" in sen.get("/directory/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ListingClaim.id))) == 2
        claims = [json.loads(e.details) for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "directory.listing_claimed").order_by(AuditEvent.seq))]
        db.session.remove()
    assert claims == [{"question": "A.1"}, {"question": "A.1"}]  # France's, then Senegal's


def test_only_the_listed_person_confirms_a_listing(app, world, logged_in):
    qid, fra, person, moderator = world
    peer, _ = logged_in("focal_point", "JPN")
    colleague, _ = logged_in("focal_point", "FRA")
    for client, iso3, key in ((peer, "FRA", "A.1"), (colleague, "FRA", "A.1"),
                              (moderator, "FRA", "A.1"), (fra, "FRA", "A.2"),
                              (fra, "XXX", "A.1"), (fra, "FRA", "Z.9"), (fra, "", "")):
        assert _claim(client, iso3, key).status_code == 404, (iso3, key)
    assert post_form(fra, "/directory/my-listing", {"action": "claim", "state": "FRA",
                                                    "key": "A.1" * 50},
                     token_path="/directory/").status_code == 404
    no_token = fra.post("/directory/my-listing", data={"action": "claim", "state": "FRA",
                                                       "key": "A.1"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(ListingClaim.id))) == 1
        db.session.remove()


def test_a_confirmation_holds_only_while_the_listing_gives_the_persons_address(app, world,
                                                                               logged_in):
    """France replaces the person by a successor under A.1: the successor's address is not
    the person's to hide."""
    qid, fra, person, moderator = world
    successor = "successor@justice.example.org"
    assert save(fra, qid, "A", {"A.1.authority": "Ministère de la Justice, BEPI",
                                "A.1.email": successor}).status_code == 303
    assert act(fra, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
    peer, _ = logged_in("focal_point", "JPN")
    text = peer.get(f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    assert successor in text
    assert NEUTRAL not in text
