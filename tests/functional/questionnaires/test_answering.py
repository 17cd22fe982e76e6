"""Answering through the pages: typed validation, revisions, stale saves, submission, the
Secretariat's review in the moderation queue, and what peers read meanwhile."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from coop_platform.extensions import db
from coop_platform.questionnaires.models import AnswerRevision, Response
from tests.conftest import csrf_token
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    revision_of,
    save,
    seeded_questionnaire,
    start,
)


@pytest.fixture
def qid(app):
    return seeded_questionnaire(app)


def _count(app, column) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(column)))
        db.session.remove()
    return n


def _revisions(app) -> int:
    return _count(app, AnswerRevision.id)


def test_a_saved_answer_is_kept_with_its_revision_and_shown(app, logged_in, qid):
    client, _ = logged_in("focal_point", "FRA")
    official = "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000006575529?a=1&b=%C3%A9"
    assert save(client, qid, "B", {"B.1.value": "yes", "B.2.instrument": "Code de procédure pénale",
                                   "B.2.url": official}).status_code == 303
    assert official.replace("&", "&amp;") in client.get(
        f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    page = save(client, qid, "B", {"B.5.value": "Ongoing <b>domestic</b> proceedings.",
                                   "B.5.remarks": "Art. 12 of the MLA act."})
    assert page.status_code == 303
    assert revision_of(app, "FRA", "B.5") == 1
    text = client.get(f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    # Markup is kept as the text typed, never as markup.
    assert "Ongoing &lt;b&gt;domestic&lt;/b&gt; proceedings." in text
    assert "Art. 12 of the MLA act." in text
    # Saving the same again makes no new revision.
    assert save(client, qid, "B", {"B.5.value": "Ongoing <b>domestic</b> proceedings.",
                                   "B.5.remarks": "Art. 12 of the MLA act."}).status_code == 303
    assert revision_of(app, "FRA", "B.5") == 1


# (question, fields, what the message says): one refusal per answer type.
REFUSALS = [
    ("D.4", {"D.4.value": "1" + "0" * 20}, "between 0 and 3650"),
    ("D.4", {"D.4.value": "-3"}, "between 0 and 3650"),
    ("D.4", {"D.4.value": "twelve"}, "Write a number"),
    ("D.4", {"D.4.value": "NaN"}, "Write a number"),
    # Digits of other scripts: Python's Decimal reads "١" and "１" as 1; only ASCII is a number.
    ("D.4", {"D.4.value": "\u0661"}, "Write a number"),
    ("D.4", {"D.4.value": "\uff11"}, "Write a number"),
    ("D.4", {"D.4.value": "\U0001d7cf"}, "Write a number"),
    ("D.4", {"D.4.value": "1e3"}, "Write a number"),
    ("B.2", {"B.2.instrument": "Act 12", "B.2.url": "javascript:alert(1)"}, "https://"),
    # Only well-formed http(s) addresses (RFC 3986), never one a browser must repair.
    ("B.2", {"B.2.instrument": "Act 12", "B.2.url": 'https://x"onmouseover=alert(1)'},
     "https://"),
    ("B.2", {"B.2.instrument": "Act 12", "B.2.url": "https://gov.example@evil.example/"},
     "https://"),
    ("B.2", {"B.2.instrument": "Act 12", "B.2.url": "https://x.example/<b>"}, "https://"),
    ("B.2", {"B.2.instrument": "Act 12", "B.2.url": "https://x.example:99999/"}, "https://"),
    ("B.2", {"B.2.instrument": "Act 12", "B.2.since": "2024-13-01"}, "YYYY-MM-DD"),
    ("B.2", {"B.2.article": "Art. 3"}, "Name the instrument"),
    ("A.1", {"A.1.authority": "MoJ", "A.1.email": "not-an-address"}, "valid e-mail"),
    ("A.1", {"A.1.authority": "MoJ", "A.1.phone": "call me"}, "phone number"),
    ("A.3", {"A.3.value": "carrier_pigeon"}, "listed answers"),
    ("A.4", {"A.4.value": ["en", "klingon"]}, "listed answers"),
    ("B.5", {"B.5.value": "x" * 100_000}, "At most 20000 characters"),
    ("B.5", {"B.5.value": "ok", "B.5.remarks": "r" * 5001}, "At most 5000 characters"),
    ("B.5", {"B.5.value": "ok", "B.5.language": "xx"}, "listed languages"),
]


@pytest.mark.parametrize(("key", "fields", "message"), REFUSALS,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(REFUSALS)])
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(app, logged_in, qid, key,
                                                                  fields, message):
    client, _ = logged_in("focal_point", "FRA")
    section = key[0]
    # A valid answer in the same post is not saved either: a save lands whole or not at all.
    other = {"A": {"A.6.value": "registry"}, "B": {"B.6.value": "yes"},
             "D": {"D.8.value": "no"}}[section]
    before = _revisions(app)
    page = save(client, qid, section, {**fields, **other})
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert _revisions(app) == before


# A base revision is a number the page wrote; anything but ASCII digits is a stale page.
# "²".isdigit() is True and int("²") raises: that was a 500.
NOT_ASCII_DIGITS = ["\u00b2", "\u0661", "\uff11", "\U0001d7cf", "-1", "1" * 12, ""]


@pytest.mark.parametrize("base", NOT_ASCII_DIGITS)
def test_a_base_revision_that_is_not_ascii_digits_is_a_400(app, logged_in, qid, base):
    from tests.conftest import csrf_token

    client, _ = logged_in("focal_point", "FRA")
    path = f"/questionnaires/{qid}/response/B"
    fields = {"B.5.value": "Ongoing proceedings", "B.5.base": base, "B.5.language": "en"}
    page = save(client, qid, "B", {"B.5.value": "Ongoing proceedings"}, base={"B.5": base})
    assert page.status_code == 400
    assert "The page was out of date" in page.get_data(as_text=True)
    autosave = client.post(path, headers={"X-Autosave": "1"},
                           data={"csrf_token": csrf_token(client, path), **fields})
    assert autosave.status_code == 400
    assert autosave.is_json
    assert autosave.json["status"] == "invalid"
    assert "reload it" in autosave.json["errors"]["B.5.value"]
    assert _revisions(app) == 0


def test_nul_in_an_answer_is_a_400(app, logged_in, qid):
    client, _ = logged_in("focal_point", "FRA")
    page = save(client, qid, "B", {"B.5.value": "a\x00b"})
    assert page.status_code == 400
    assert _revisions(app) == 0


def test_a_stale_save_is_refused_with_both_values_and_saves_nothing(app, logged_in, make_user,
                                                                    qid):
    first, _ = logged_in("focal_point", "FRA")
    second, _ = logged_in("focal_point", "FRA")
    assert save(first, qid, "B", {"B.5.value": "Version of the first colleague"}).status_code == 303
    # The second colleague had the page open at revision 0.
    page = save(second, qid, "B", {"B.5.value": "Version of the second colleague",
                                   "B.6.value": "yes"}, base={"B.5": "0", "B.6": "0"})
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Version of the first colleague" in text
    assert "Version of the second colleague" in text
    assert revision_of(app, "FRA", "B.5") == 1
    assert revision_of(app, "FRA", "B.6") == 0
    # Saving again from the page shown (it now names revision 1) replaces it deliberately.
    assert save(second, qid, "B", {"B.5.value": "Merged"}, base={"B.5": "1"}).status_code == 303
    assert revision_of(app, "FRA", "B.5") == 2


def test_two_sessions_saving_from_one_revision_at_once_make_one_revision(app, logged_in, qid):
    clients = [logged_in("focal_point", "FRA")[0] for _ in range(4)]
    save(clients[0], qid, "B", {"B.5.value": "start"})
    barrier = threading.Barrier(len(clients))
    codes = []

    def one(i, c):
        from tests.conftest import csrf_token

        token = csrf_token(c, f"/questionnaires/{qid}/response/B")
        barrier.wait()
        r = c.post(f"/questionnaires/{qid}/response/B",
                   data={"csrf_token": token, "B.5.value": f"writer {i}", "B.5.base": "1",
                         "B.5.language": "en"})
        codes.append(r.status_code)

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [303, 409, 409, 409]
    assert revision_of(app, "FRA", "B.5") == 2


def test_submission_review_and_what_peers_read_meanwhile(app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    # Not complete: refused, with the missing keys.
    save(owner, qid, "B", {"B.5.value": "First accepted wording"})
    page = act(owner, qid, "submit")
    assert page.status_code == 400
    assert "A.1" in page.get_data(as_text=True)
    answer_required(owner, qid)
    assert act(owner, qid, "submit").status_code == 303
    # Submitted: the owner cannot change it until recalled; peers see nothing yet.
    assert save(owner, qid, "B", {"B.5.value": "changed"}).status_code == 409
    assert "First accepted wording" not in peer.get(f"/questionnaires/{qid}/states/FRA").text
    rid = response_id(app, "FRA", qid)
    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert f"/moderation/responses/{rid}" in queue
    # A peer or the owner cannot decide.
    assert decide(peer, rid, "accept").status_code in (403, 404)
    assert decide(owner, rid, "accept").status_code in (403, 404)
    assert decide(moderator, rid, "accept").status_code == 303
    assert "First accepted wording" in peer.get(f"/questionnaires/{qid}/states/FRA").text
    # A revision in progress never hides the accepted text.
    save(owner, qid, "B", {"B.5.value": "Second wording in progress"})
    seen = peer.get(f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    assert "First accepted wording" in seen
    assert "Second wording in progress" not in seen
    assert "Second wording in progress" in owner.get(f"/questionnaires/{qid}/states/FRA").text
    # Returned with a comment on one question; the State reads it.
    assert act(owner, qid, "submit").status_code == 303
    review = moderator.get(f"/moderation/responses/{rid}").get_data(as_text=True)
    assert "1 answer changed since the last decision" in review
    assert decide(moderator, rid, "return").status_code == 400  # no comment at all
    assert decide(moderator, rid, "return",
                  comments={"B.5": "Name the statute, please."}).status_code == 303
    assert "Name the statute, please." in owner.get(f"/questionnaires/{qid}/response").text
    assert "First accepted wording" in peer.get(f"/questionnaires/{qid}/states/FRA").text
    assert decide(moderator, rid, "accept").status_code == 409  # not submitted now


def test_secretariat_only_answers_never_reach_peers(app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    court, _ = logged_in("court", None)
    moderator, _ = logged_in("moderator", None)
    answer_required(owner, qid)
    save(owner, qid, "G", {"G.4.value": "Confidential lesson", "G.4.secretariat_only": "y"})
    act(owner, qid, "submit")
    decide(moderator, response_id(app, "FRA", qid), "accept")
    for reader in (peer, court):
        assert "Confidential lesson" not in reader.get(f"/questionnaires/{qid}/states/FRA").text
        assert "Confidential lesson" not in reader.get(f"/questionnaires/{qid}/compare/G.4").text
    assert "Confidential lesson" in moderator.get(f"/questionnaires/{qid}/states/FRA").text


def _responses(app) -> int:
    return _count(app, Response.id)


def test_reading_never_starts_a_response_and_two_starts_make_one(app, logged_in, qid):
    """A GET writes nothing (a prefetch, a crawler or a second tab must not create a State's
    response); the Start button does, once, however often and however fast it is pressed."""
    client, _ = logged_in("focal_point", "FRA")
    page = client.get(f"/questionnaires/{qid}/response")
    assert page.status_code == 200
    assert "Start the response" in page.get_data(as_text=True)
    section = client.get(f"/questionnaires/{qid}/response/B")
    assert section.status_code == 302
    assert section.headers["Location"].endswith(f"/questionnaires/{qid}/response")
    assert _responses(app) == 0

    path = f"/questionnaires/{qid}/response"
    token = csrf_token(client, path)
    colleague, _ = logged_in("focal_point", "FRA")
    other_token = csrf_token(colleague, path)
    answers = []
    pressers = [threading.Thread(target=lambda c, t: answers.append(
        c.post(f"{path}/start", data={"csrf_token": t}).status_code), args=(c, t))
        for c, t in ((client, token), (colleague, other_token))]
    for presser in pressers:
        presser.start()
    for presser in pressers:
        presser.join()
    assert answers == [303, 303]
    assert _responses(app) == 1
    assert client.get(f"/questionnaires/{qid}/response/B").status_code == 200
    # Without its form token, nothing starts.
    other, _ = logged_in("focal_point", "SEN")
    assert other.post(f"{path}/start").status_code == 400
    assert _responses(app) == 1


def test_only_focal_points_have_a_response_page(app, logged_in, qid):
    for role in ("moderator", "court", "admin"):
        client, _ = logged_in(role, None)
        assert client.get(f"/questionnaires/{qid}/response").status_code == 404
        assert client.get(f"/questionnaires/{qid}/response/B").status_code == 404


def test_a_closed_questionnaire_refuses_saves(app, logged_in, qid, runner):
    owner, _ = logged_in("focal_point", "FRA")
    save(owner, qid, "B", {"B.5.value": "Before closing"})
    assert runner.invoke(args=["questionnaires", "close", qid]).exit_code == 0
    page = save(owner, qid, "B", {"B.5.value": "After closing"})
    assert page.status_code == 409
    assert "Before closing" in owner.get(f"/questionnaires/{qid}/states/FRA").text


def test_unknown_section_question_or_state_is_a_404(app, logged_in, qid):
    client, _ = logged_in("focal_point", "FRA")
    assert client.get(f"/questionnaires/{qid}/response/Z").status_code == 404
    assert client.get(f"/questionnaires/{qid}/compare/Z.99").status_code == 404
    assert client.get(f"/questionnaires/{qid}/states/XXX").status_code == 404
    assert client.get(f"/questionnaires/{qid}/compare/A.3?group=MARS").status_code == 400
    assert client.get(f"/questionnaires/{qid}/compare/A.3?value=maybe").status_code == 400
    many = "&".join(f"q=A.{i}" for i in range(1, 7)) + "&" + "&".join(
        f"q=B.{i}" for i in range(1, 7))
    assert client.get(f"/questionnaires/{qid}/grid?{many}").status_code == 400
    assert client.get(f"/questionnaires/{qid}/grid?q=Q.1").status_code == 400


def test_secretariat_only_narrows_at_once_and_widens_only_on_acceptance(app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    rid = None

    def accept():
        nonlocal rid
        assert act(owner, qid, "submit").status_code == 303
        rid = rid or response_id(app, "FRA", qid)
        assert decide(moderator, rid, "accept").status_code == 303

    def peer_sees() -> bool:
        return "Lessons shared" in peer.get(f"/questionnaires/{qid}/states/FRA").text

    answer_required(owner, qid)
    save(owner, qid, "G", {"G.4.value": "Lessons shared"})
    accept()
    assert peer_sees()
    # Ticked then unticked before any review: still hidden, the widening is the
    # Secretariat's to accept (the probe saw the accepted text come back at once).
    save(owner, qid, "G", {"G.4.value": "Lessons shared", "G.4.secretariat_only": "y"})
    assert not peer_sees()
    save(owner, qid, "G", {"G.4.value": "Lessons shared, again"})
    assert not peer_sees()
    accept()
    assert peer_sees()
    # Narrowing: ticking the flag hides the accepted answer at once, before any review.
    save(owner, qid, "G", {"G.4.value": "Lessons shared", "G.4.secretariat_only": "y"})
    assert not peer_sees()
    accept()
    assert not peer_sees()
    # Widening: unticking it does nothing for peers until the Secretariat accepts.
    save(owner, qid, "G", {"G.4.value": "Lessons shared"})
    assert not peer_sees()
    accept()
    assert peer_sees()


def test_submission_and_decision_are_notified_and_lead_to_the_response(app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    colleague, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    answer_required(owner, qid)
    act(owner, qid, "submit")
    rid = response_id(app, "FRA", qid)
    inbox = moderator.get("/notifications/").get_data(as_text=True)
    assert "France submitted its questionnaire response for review." in inbox
    link = re.search(r'href="/notifications/(\d+)"', inbox).group(1)
    assert moderator.get(f"/notifications/{link}").headers["Location"].endswith(
        f"/moderation/responses/{rid}")
    decide(moderator, rid, "return", comments={"B.1": "Which act?"})
    inbox = colleague.get("/notifications/").get_data(as_text=True)
    assert "questionnaire response: returned with comments." in inbox
    link = re.search(r'href="/notifications/(\d+)"', inbox).group(1)
    assert colleague.get(f"/notifications/{link}").headers["Location"].endswith(
        f"/questionnaires/{qid}/response")
    # Nobody else is told.
    assert "questionnaire response" not in peer.get("/notifications/").get_data(as_text=True)


def test_autosave_answers_in_json_and_refuses_like_the_save_button(app, logged_in, qid):
    from tests.conftest import csrf_token

    owner, _ = logged_in("focal_point", "FRA")
    path = f"/questionnaires/{qid}/response/B"
    # The response is not started: the first autosave starts it (a save is a POST).
    token = csrf_token(owner, f"/questionnaires/{qid}/response")

    def autosave(value, base):
        return owner.post(path, headers={"X-Autosave": "1"},
                          data={"csrf_token": token, "B.5.value": value, "B.5.base": base,
                                "B.5.language": "en"})

    first = autosave("Draft one", "0")
    assert first.status_code == 200
    assert first.json["status"] == "saved"
    assert first.json["bases"] == {"B.5": 1}
    assert autosave("Draft two", "1").json["bases"] == {"B.5": 2}
    stale = autosave("From an old tab", "1")
    assert stale.status_code == 409
    assert stale.json["status"] == "stale"
    invalid = owner.post(path, headers={"X-Autosave": "1"},
                         data={"csrf_token": token, "B.5.value": "ok", "B.5.base": "2",
                               "B.5.language": "xx"})
    assert invalid.status_code == 400
    assert revision_of(app, "FRA", "B.5") == 2
    no_token = owner.post(path, headers={"X-Autosave": "1"},
                          data={"B.5.value": "x", "B.5.base": "2", "B.5.language": "en"})
    assert no_token.status_code == 400
    assert revision_of(app, "FRA", "B.5") == 2


def test_a_conditional_question_names_the_answers_it_depends_on_in_the_readers_language(
        app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    assert start(owner, qid).status_code == 303
    page = owner.get(f"/questionnaires/{qid}/response/B").get_data(as_text=True)
    assert "Answer only if the answer to B.1 is: Yes, Partly." in page
    from tests.conftest import post_form

    post_form(owner, "/auth/language", {"lang": "fr"}, token_path="/")
    page = owner.get(f"/questionnaires/{qid}/response/B").get_data(as_text=True)
    assert "Répondez uniquement si la réponse à B.1 est\u00a0: Oui, En partie." in page


def test_the_services_refuse_a_wrong_role_or_state_whatever_the_view_did(app, logged_in,
                                                                          make_user, qid):
    """Defence in depth: the pages check the role too, these checks stand behind them."""
    from coop_platform.auth.models import User
    from coop_platform.core.exceptions import Forbidden
    from coop_platform.questionnaires.models import Response
    from coop_platform.questionnaires.services import answering, completion, review

    owner, _ = logged_in("focal_point", "FRA")
    answer_required(owner, qid)
    act(owner, qid, "submit")
    rid = response_id(app, "FRA", qid)
    peer = make_user(state="SEN")
    wrong_roles = [make_user(role=role, state=state)
                   for role, state in (("focal_point", "FRA"), ("court", None))]
    before = revision_of(app, "FRA", "B.5")
    with app.app_context():
        response = db.session.scalars(select(Response).where(Response.public_id == rid)).one()
        for account in wrong_roles:
            actor = db.session.get(User, account.id)
            with pytest.raises(Forbidden):
                review.decide(actor, response, "accept")
            with pytest.raises(Forbidden):
                completion.completion(actor, response.questionnaire)
        other = db.session.get(User, peer.id)
        for call in (lambda: answering.save(other, response, []),
                     lambda: answering.submit(other, response),
                     lambda: answering.recall(other, response),
                     lambda: answering.confirm(other, response, ["B.1"])):
            with pytest.raises(Forbidden):
                call()
        db.session.rollback()
        assert response.status == "submitted"
        db.session.remove()
    assert revision_of(app, "FRA", "B.5") == before


def test_autosave_says_all_changes_are_saved_whether_or_not_it_wrote(app, logged_in, qid):
    """Issue 22: the status reads "All changes saved", never "Nothing to save."."""
    owner, _ = logged_in("focal_point", "FRA")
    path = f"/questionnaires/{qid}/response/B"
    token = csrf_token(owner, f"/questionnaires/{qid}/response")
    for base in ("0", "1"):  # the first call writes, the second finds nothing new
        saved = owner.post(path, headers={"X-Autosave": "1"},
                           data={"csrf_token": token, "B.5.value": "Draft one",
                                 "B.5.base": base, "B.5.language": "en"})
        assert saved.json["message"] == "All changes saved."
    assert revision_of(app, "FRA", "B.5") == 1


def test_a_new_answer_says_saved_until_the_secretariat_accepts_it(app, logged_in, qid):
    """Issue 22: an answer is not labelled "Last confirmed" before any confirmation."""
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    answer_required(owner, qid)
    page = owner.get(f"/questionnaires/{qid}/response/B").get_data(as_text=True)
    assert "not yet accepted by the Secretariat" in page
    assert "Last confirmed" not in page
    assert act(owner, qid, "submit").status_code == 303
    assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
    page = owner.get(f"/questionnaires/{qid}/response/B").get_data(as_text=True)
    assert "Last confirmed" in page
    assert "not yet accepted by the Secretariat" not in page


def test_an_unanswered_question_is_in_the_interface_language(app, logged_in, qid):
    """Issue 22: French written in the French interface is no longer labelled English."""
    owner, _ = logged_in("focal_point", "FRA")
    answer_required(owner, qid)  # the response exists; B.5 is not answered
    owner.post("/auth/language", data={"csrf_token": csrf_token(owner, "/"), "lang": "fr",
                                        "next": "/"})
    page = owner.get(f"/questionnaires/{qid}/response/B").get_data(as_text=True)
    select = re.search(r'<select id="B\.5\.language".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="fr" selected>', select)
    assert not re.search(r'<option value="en" selected>', select)


def test_the_review_counts_as_changed_only_answers_that_say_something_else(app, logged_in,
                                                                             qid):
    from tests.support import builders

    owner, owner_user = logged_in("focal_point", "FRA")
    moderator, moderator_user = logged_in("moderator", None)
    answer_required(owner, qid)
    builders.save_answers(app, owner_user.id, qid, "B", {"B.5.value": "Accepted wording"})
    builders.submit(app, owner_user.id, qid)
    builders.decide(app, moderator_user.id, "FRA", qid, "accept")
    # B.5 changed and changed back: new revisions, the same words. B.6 really changed.
    builders.save_answers(app, owner_user.id, qid, "B", {"B.5.value": "Passing thought"})
    builders.save_answers(app, owner_user.id, qid, "B", {"B.5.value": "Accepted wording"})
    builders.save_answers(app, owner_user.id, qid, "B", {"B.6.value": "no"})
    builders.submit(app, owner_user.id, qid)
    assert revision_of(app, "FRA", "B.5") == 3  # two new revisions were saved
    review = moderator.get(f"/moderation/responses/{response_id(app, 'FRA', qid)}").get_data(
        as_text=True)
    assert "1 answer changed since the last decision" in review
    assert review.count('class="changed"') == 1
    changed_row = review.split('class="changed"')[1].split("</tr>")[0]
    assert "B.6" in changed_row


def test_still_accurate_answers_the_pages_script_in_json_and_the_plain_form_at_the_question(
        app, logged_in, qid):
    from tests.conftest import post_form

    owner, _ = logged_in("focal_point", "FRA")
    answer_required(owner, qid)
    path = f"/questionnaires/{qid}/response/confirm"
    token_path = f"/questionnaires/{qid}/response/B"
    quiet = post_form(owner, path, {"key": "B.6"}, token_path=token_path,
                      headers={"X-Autosave": "1"})
    assert quiet.status_code == 200
    assert quiet.json["status"] == "confirmed"
    assert quiet.json["message"] == "Confirmed as still accurate: B.6."
    assert quiet.json["confirmed"].startswith("Last confirmed ")
    # Nothing saved to confirm there: refused, in a sentence, still JSON.
    refused = post_form(owner, path, {"key": "B.5"}, token_path=token_path,
                        headers={"X-Autosave": "1"})
    assert refused.status_code == 400
    assert refused.json["message"] == "There is no saved answer to confirm here."
    assert post_form(owner, path, {}, token_path=token_path,
                     headers={"X-Autosave": "1"}).status_code == 400
    # Without the script: back to the section, at the question confirmed.
    plain = post_form(owner, path, {"key": "B.6"}, token_path=token_path)
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/questionnaires/{qid}/response/B#q-B.6")


def test_save_and_continue_goes_to_the_next_section_then_to_the_response(app, logged_in, qid):
    owner, _ = logged_in("focal_point", "FRA")
    page = save(owner, qid, "B", {"B.1.value": "yes", "then": "next"})
    assert page.status_code == 303
    assert page.headers["Location"].endswith(f"/questionnaires/{qid}/response/C")
    last = owner.get(f"/questionnaires/{qid}/response/H").get_data(as_text=True)
    assert "Save and review the response" in last
    page = save(owner, qid, "H", {"H.1.value": "", "then": "next"})
    assert page.headers["Location"].endswith(f"/questionnaires/{qid}/response")
    # A refused save stays on its section, whatever the button.
    refused = save(owner, qid, "D", {"D.4.value": "10^20", "then": "next"})
    assert refused.status_code == 400
