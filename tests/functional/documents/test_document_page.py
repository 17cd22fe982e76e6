"""The document page for each kind of reader: what the owner State and the Secretariat see,
what a peer or the Court sees, the versions, the access log, confirmations."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from coop_platform.documents.models import Document
from coop_platform.extensions import db
from tests.conftest import post_form
from tests.support import files
from tests.support.documents import upload, uploaded_id


def act(client, doc, action, reason="", confirmed=True):
    data = {"reason": reason}
    if confirmed:
        data["confirmed"] = "1"
    return post_form(client, f"/documents/{doc}/{action}", data, token_path=f"/documents/{doc}")


def status_of(app, doc):
    with app.app_context():
        value = db.session.scalar(select(Document.status).where(Document.public_id == doc))
        db.session.remove()
        return value


@pytest.fixture
def shared(app, logged_in):
    """A document of France, returned once with a reason, then published to SEN and JPN and
    the Court."""
    owner, owner_user = logged_in("focal_point", "FRA")
    moderator, moderator_user = logged_in("moderator", None)
    doc = uploaded_id(upload(owner, audience="selected_states", states=["SEN", "JPN"],
                             share_with_court="y", file=(io.BytesIO(files.pdf()), "Loi.pdf")))
    act(owner, doc, "submit")
    act(moderator, doc, "return", "Name the competent court.")
    act(owner, doc, "submit")
    act(moderator, doc, "publish")
    return doc, owner_user, moderator_user


@pytest.mark.parametrize(("role", "state", "insider"), [
    ("focal_point", "FRA", True), ("moderator", None, True), ("admin", None, True),
    ("focal_point", "SEN", False), ("court", None, False)])
def test_each_reader_sees_what_is_theirs_to_see(app, logged_in, shared, role, state, insider):
    doc, owner_user, moderator_user = shared
    client, _ = logged_in(role, state)
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Published" in page
    for private in (owner_user.email, moderator_user.email, "Name the competent court.",
                    "Japan", "Returned for revision"):
        assert (private in page) is insider, (role, private)


def test_the_versions_table_names_the_file_its_kind_and_size(app, logged_in, shared):
    doc, *_ = shared
    client, _ = logged_in("focal_point", "SEN")
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "<td>Loi.pdf</td><td>PDF</td>" in page
    assert f"{len(files.pdf())} Bytes" in page


def test_the_access_log_comes_a_page_at_a_time_and_can_hide_the_owners_views(app, logged_in,
                                                                            shared):
    doc, *_ = shared
    owner, owner_user = logged_in("focal_point", "FRA")
    peer, peer_user = logged_in("focal_point", "SEN")
    for _ in range(30):
        peer.get(f"/documents/{doc}")
    owner.get(f"/documents/{doc}")
    first = owner.get(f"/documents/{doc}").get_data(as_text=True)
    log = first.split('id="access-log"')[1].split("</table>")[0]
    assert log.count("<tr><td") == 25
    assert owner_user.email in log
    assert "Page 1 of 2" in first.split('id="access-log"')[1]
    hidden = owner.get(f"/documents/{doc}?hide_own=1").get_data(as_text=True)
    section = hidden.split('id="access-log"')[1].split("</table>")[0]
    assert peer_user.email in section
    assert owner_user.email not in section
    assert "Also show those by France’s own focal points" in hidden
    second = owner.get(f"/documents/{doc}?log_page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second


def test_the_owner_takes_back_a_pending_submission(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    assert doc in moderator.get("/moderation/").get_data(as_text=True)
    assert act(owner, doc, "recall").status_code == 303
    assert status_of(app, doc) == "draft"
    assert doc not in moderator.get("/moderation/").get_data(as_text=True)


@pytest.mark.parametrize("action", ["reject", "withdraw"])
def test_a_decision_that_cannot_be_undone_is_confirmed_on_a_second_page(app, logged_in,
                                                                         action):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    if action == "withdraw":
        act(moderator, doc, "publish")
    before = status_of(app, doc)
    first = act(moderator, doc, action, "Out of scope.", confirmed=False)
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert 'name="confirmed" value="1"' in page
    assert "Out of scope." in page
    assert status_of(app, doc) == before  # nothing changed yet
    assert act(moderator, doc, action, "Out of scope.").status_code == 303
    assert status_of(app, doc) == {"reject": "rejected", "withdraw": "withdrawn"}[action]


@pytest.mark.parametrize("action", ["disable", "reset-2fa"])
def test_disabling_or_resetting_an_account_is_confirmed(app, logged_in, make_user, action):
    from coop_platform.auth.models import User

    admin, _ = logged_in("admin", None)
    target = make_user()
    path = f"/admin/users/{target.public_id}"
    first = post_form(admin, f"{path}/{action}", {}, token_path=path)
    assert first.status_code == 200
    assert 'name="confirmed" value="1"' in first.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, target.id)
        assert (user.status, user.totp_secret is not None) == ("active", True)
        db.session.remove()
