"""Decisions for every role, notifications to exactly the right people, queue and dashboard."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from coop_platform.documents.models import Document
from coop_platform.extensions import db
from coop_platform.moderation.models import Notification
from tests.conftest import csrf_token, login, post_form
from tests.support import builders
from tests.support.builders import person
from tests.support.documents import upload, uploaded_id

# The lifecycle as the product specification states it, written out here (never read from
# the product): (status, action) -> status after.
LIFECYCLE = {
    ("draft", "submit"): "pending",
    ("returned", "submit"): "pending",
    ("pending", "publish"): "published",
    ("pending", "return"): "returned",
    ("pending", "reject"): "rejected",
    ("pending", "recall"): "draft",  # the owner takes back a submission (issue 8)
    ("published", "withdraw"): "withdrawn",
}
ACTIONS = ["publish", "recall", "reject", "return", "submit", "withdraw"]
STATUSES = ["draft", "pending", "published", "returned", "rejected", "withdrawn"]
ROLES = ["owner", "other_state", "court", "moderator", "own_state_moderator", "admin"]
# Which actions each role may ever take on a document of France shared with all States and
# the Court; a moderator never decides on its own State's documents.
MAY_TAKE = {
    "owner": {"submit", "recall", "withdraw"},
    "moderator": {"publish", "return", "reject", "withdraw"},
    "admin": {"publish", "return", "reject", "withdraw"},
    "own_state_moderator": set(),
    "other_state": set(),
    "court": set(),
}
# Who can see the document in each status (otherwise: 404, existence not confirmed).
SEES = {
    "owner": set(STATUSES),
    "moderator": set(STATUSES) - {"draft"},
    "admin": set(STATUSES) - {"draft"},
    "own_state_moderator": set(STATUSES) - {"draft"},
    "other_state": {"published"},
    "court": {"published"},
}


def status_of(app, doc_id: str) -> str:
    with app.app_context():
        return db.session.scalars(select(Document.status).where(Document.public_id == doc_id)).one()


def expected_answer(role: str, status: str, action: str) -> int:
    """404 out of sight, 403 never allowed, 409 not from this status, 303 done."""
    if status not in SEES[role]:
        return 404
    if action not in MAY_TAKE[role]:
        return 403
    return 303 if (status, action) in LIFECYCLE else 409


def test_every_transition_for_every_role(app, logged_in, outbox):
    clients = {
        "owner": logged_in("focal_point", "FRA"),
        "other_state": logged_in("focal_point", "JPN"),
        "court": logged_in("court", None),
        "moderator": logged_in("moderator", None),
        "own_state_moderator": logged_in("moderator", "FRA"),
        "admin": logged_in("admin", None),
    }
    owner_id = clients["owner"][1].id
    # One form token per session serves every request of that session.
    tokens = {role: csrf_token(client, "/documents/") for role, (client, _) in clients.items()}
    mismatches = []
    # One document per status, made through the upload service (the upload page has its own
    # journey) and used until an action changes it; a refused action leaves it as it was,
    # which the check below verifies every time.
    unchanged: dict[str, str] = {}
    for role, status, action in itertools.product(ROLES, STATUSES, ACTIONS):
        if status not in unchanged:
            unchanged[status] = builders.document(app, owner_id, status, audience="all_states",
                                                  share_with_court=True)
        doc = unchanged[status]
        client = clients[role][0]
        response = client.post(f"/documents/{doc}/{action}",
                               data={"csrf_token": tokens[role],
                                     "reason": "a reason", "confirmed": "1"})
        expected = expected_answer(role, status, action)
        after = LIFECYCLE[(status, action)] if expected == 303 else status
        if status_of(app, doc) != status:
            del unchanged[status]  # moved on: the next case in this status gets a new one
        if (response.status_code, status_of(app, doc)) != (expected, after):
            mismatches.append((role, status, action, response.status_code, status_of(app, doc),
                               "expected", expected, after))
    assert mismatches == []


def notifications_of(app, email: str) -> list[tuple[str, str | None]]:

    with app.app_context():
        user = person(email)
        return [(n.kind, n.document.public_id if n.document else None)
                for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def test_notifications_reach_exactly_the_right_people(app, logged_in, outbox):
    owner, owner_user = logged_in("focal_point", "FRA")
    colleague, colleague_user = logged_in("focal_point", "FRA")
    _, other_state_user = logged_in("focal_point", "JPN")
    moderator, moderator_user = logged_in("moderator", None)
    _, admin_user = logged_in("admin", None)
    _, court_user = logged_in("court", None)
    doc = uploaded_id(upload(owner, title="Freezing procedure", classification="confidential"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    assert notifications_of(app, moderator_user.email) == [("submission", doc)]
    assert notifications_of(app, admin_user.email) == [("submission", doc)]
    for user in (owner_user, colleague_user, other_state_user, court_user):
        assert notifications_of(app, user.email) == []
    outbox.clear()
    post_form(moderator, f"/documents/{doc}/return", {"reason": "Add the annex"},
              token_path=f"/documents/{doc}")
    assert notifications_of(app, owner_user.email) == [("decision", doc)]
    assert notifications_of(app, colleague_user.email) == [("decision", doc)]
    assert notifications_of(app, other_state_user.email) == []
    assert notifications_of(app, moderator_user.email) == [("submission", doc)]  # not its own
    assert sorted(m.to for m in outbox) == sorted([owner_user.email, colleague_user.email])
    for message in outbox:
        assert "Freezing procedure" not in message.subject + message.body  # confidential title
        assert f"/documents/{doc}" in message.body


def test_titles_of_non_confidential_documents_may_be_mailed(app, logged_in, outbox):
    owner, _ = logged_in("focal_point", "FRA")
    logged_in("moderator", None)
    doc = uploaded_id(upload(owner, title="Channels for requests"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    assert outbox
    assert all("Channels for requests" in m.body for m in outbox)


def test_a_refused_action_sends_nothing(app, logged_in, outbox):
    owner, _ = logged_in("focal_point", "FRA")
    logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    post_form(owner, f"/documents/{doc}/withdraw", {"reason": "x", "confirmed": "1"},
              token_path=f"/documents/{doc}")
    assert outbox == []
    with app.app_context():
        assert db.session.scalars(select(Notification)).first() is None


def test_unread_count_and_mark_read(app, logged_in, outbox):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    assert "1 unread" in moderator.get("/").get_data(as_text=True)
    page = moderator.get("/notifications/").get_data(as_text=True)
    assert "submitted a document for moderation" in page
    assert post_form(moderator, "/notifications/read", {}, token_path="/notifications/").status_code == 303
    assert "unread" not in moderator.get("/").get_data(as_text=True)


def test_recovery_code_use_is_notified(app, make_user, outbox):
    user = make_user()
    client = app.test_client()
    assert login(client, app, user, code=user.recovery_codes[0]).status_code == 302
    assert notifications_of(app, user.email) == [("recovery_code_used", None)]
    assert [m.to for m in outbox] == [user.email]


def test_queue_lists_pending_oldest_first_for_the_secretariat_only(app, logged_in, outbox):
    from datetime import timedelta

    from coop_platform.core.clock import utcnow

    fra, _ = logged_in("focal_point", "FRA")
    sen, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    older = uploaded_id(upload(fra, title="Older submission"))
    newer = uploaded_id(upload(sen, title="Newer submission", document_type="legislation"))
    post_form(fra, f"/documents/{older}/submit", {}, token_path="/documents/")
    post_form(sen, f"/documents/{newer}/submit", {}, token_path="/documents/")
    with app.app_context():  # the older one has waited ten days
        document = db.session.scalars(select(Document).where(Document.public_id == older)).one()
        document.submitted_at = utcnow() - timedelta(days=10)
        db.session.commit()
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert page.index("Older submission") < page.index("Newer submission")
    assert "2 items wait" in page
    filtered = moderator.get("/moderation/?group=AFR").get_data(as_text=True)
    assert "Newer submission" in filtered
    assert "Older submission" not in filtered
    aged = moderator.get("/moderation/?older_than=7").get_data(as_text=True)
    assert "Older submission" in aged
    assert "Newer submission" not in aged
    assert fra.get("/moderation/").status_code == 403
    board = moderator.get("/moderation/dashboard").get_data(as_text=True)
    assert "<strong>2</strong> items pending" in board
    assert "<strong>10</strong> days: the oldest pending item" in board
    post_form(moderator, f"/documents/{newer}/publish", {}, token_path="/documents/")
    board = moderator.get("/moderation/dashboard").get_data(as_text=True)
    assert "<th scope=\"row\">Senegal</th><td>1</td>" in board
    assert fra.get("/moderation/dashboard").status_code == 403


def test_resubmission_shows_what_changed_since_the_decision(app, logged_in, outbox):
    import io

    from tests.conftest import csrf_token
    from tests.support import files

    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    doc = uploaded_id(upload(owner, title="First title"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    assert "Changes since" not in moderator.get(f"/documents/{doc}").get_data(as_text=True)
    post_form(moderator, f"/documents/{doc}/return", {"reason": "Say which court."},
              token_path=f"/documents/{doc}")
    edit = post_form(owner, f"/documents/{doc}/edit", {
        "title": "Second title", "summary": "Now names the court.", "document_type": "procedure",
        "topics": ["freezing"], "language": "fr", "classification": "restricted"})
    assert edit.status_code == 303
    owner.post(f"/documents/{doc}/versions/new", content_type="multipart/form-data",
               data={"csrf_token": csrf_token(owner, f"/documents/{doc}"),
                     "note": "Urgency procedure added.",
                     "file": (io.BytesIO(files.rtf()), "v2.rtf")})
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    page = moderator.get(f"/documents/{doc}").get_data(as_text=True)
    section = page.split("Changes since the Secretariat", 1)[1].split("</table>", 1)[0]
    assert "First title" in section
    assert "Second title" in section
    assert "French" in section  # language, shown in words
    assert "<th scope=\"row\">Versions</th><td>1</td><td>2</td>" in section
    assert "Handling label" not in section  # unchanged fields are not listed
    post_form(moderator, f"/documents/{doc}/publish", {}, token_path=f"/documents/{doc}")
    assert "Changes since" not in peer.get(f"/documents/{doc}").get_data(as_text=True)


def test_editing_is_for_the_owner_state_while_draft_or_returned(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    peer, _ = logged_in("focal_point", "SEN")
    doc = uploaded_id(upload(owner))
    data = {"title": "T", "summary": "", "document_type": "other", "topics": ["freezing"],
            "language": "en", "classification": "public"}
    bad = post_form(owner, f"/documents/{doc}/edit", {**data, "title": ""})
    assert bad.status_code == 400
    assert post_form(owner, f"/documents/{doc}/edit", {**data, "topics": ["astrology"]}).status_code == 400
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    assert owner.get(f"/documents/{doc}/edit").status_code == 409  # pending: not now
    post_form(moderator, f"/documents/{doc}/publish", {}, token_path=f"/documents/{doc}")
    assert peer.get(f"/documents/{doc}/edit").status_code == 403
    assert moderator.get(f"/documents/{doc}/edit").status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Document)).one().title != "T"
