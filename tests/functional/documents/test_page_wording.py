"""What a new user tripped over on the document pages (issue 21, item 5): each sentence says
what the product does, for the document's status, and a code given for a confidential
download starts that download."""

from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time

from tests.conftest import login, next_code, post_form
from tests.support import builders

META_REFRESH = re.compile(r'<meta http-equiv="refresh" content="0;url=([^"]+)">')


def test_who_may_see_it_says_once_published_only_before_publication(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    published = builders.document(app, owner_user.id, status="published")
    draft = builders.document(app, owner_user.id, status="draft")
    for client in (owner, peer):
        page = client.get(f"/documents/{published}").get_data(as_text=True)
        assert "All States Parties and the Secretariat." in page
        assert "once published" not in page.lower()
    assert "All States Parties, once published, and the Secretariat." in owner.get(
        f"/documents/{draft}").get_data(as_text=True)
    chosen = builders.document(app, owner_user.id, status="published",
                               audience="selected_states", states=["SEN"])
    assert "Senegal; and the Secretariat." in owner.get(
        f"/documents/{chosen}").get_data(as_text=True)


def test_a_decision_form_is_named_by_its_button_and_its_reason_by_the_decision(
        app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    pending = builders.document(app, owner_user.id, status="pending")
    page = moderator.get(f"/documents/{pending}").get_data(as_text=True)
    actions = page.split('<h2>Actions</h2>')[1].split("<h2>")[0]
    assert "<legend>" not in actions
    assert "Why it is returned (the owner State reads it)" in actions
    assert "Why it is rejected (the owner State reads it)" in actions
    assert actions.count("Return for revision") == 1


def test_orcon_in_the_list_is_explained_below_it(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    builders.document(app, owner_user.id, status="published", title="Without the label")
    assert 'id="orcon-note"' not in owner.get("/documents/").get_data(as_text=True)
    builders.document(app, owner_user.id, status="published", originator_control=True)
    listed = owner.get("/documents/").get_data(as_text=True)
    assert '<abbr title="Originator control">ORCON</abbr></span>' in listed
    assert 'id="orcon-note"' in listed
    assert "without that State’s consent" in listed


def test_a_code_given_for_a_confidential_download_starts_it(app, make_user):
    user = make_user(state="FRA")
    with freeze_time("2026-11-23 09:00:00") as frozen:
        client = app.test_client()
        assert login(client, app, user).status_code == 302
        document = builders.document(app, user.id, status="published",
                                     classification="confidential")
        page = client.get(f"/documents/{document}").get_data(as_text=True)
        version = re.search(r"/versions/([0-9a-f-]{36})/download", page).group(1)
        assert "more than 10 minutes before" in client.get("/documents/new").get_data(
            as_text=True)
        frozen.tick(timedelta(minutes=11))
        step_up = f"/documents/{document}/versions/{version}/step-up"
        frozen.tick(timedelta(seconds=30))
        accepted = post_form(client, step_up, {"code": next_code(app, user)})
        assert accepted.status_code == 303
        back = accepted.headers["Location"]
        assert f"download={version}" in back
        landed = client.get(back).get_data(as_text=True)
        started = META_REFRESH.search(landed)
        assert started is not None
        assert started.group(1) == f"/documents/{document}/versions/{version}/download"
        assert "the download of version 1 starts now" in landed
        assert client.get(started.group(1)).status_code == 200
        # Another document's version, or a code no longer fresh, starts nothing.
        other = builders.document(app, user.id, status="published")
        assert not META_REFRESH.search(client.get(
            f"/documents/{other}?download={version}").get_data(as_text=True))
        frozen.tick(timedelta(minutes=11))
        assert not META_REFRESH.search(client.get(back).get_data(as_text=True))


def test_the_access_log_says_whose_accesses_it_leaves_out(app, logged_in):
    owner, owner_user = logged_in("focal_point", "FRA")
    document = builders.document(app, owner_user.id, status="published")
    page = owner.get(f"/documents/{document}").get_data(as_text=True)
    assert "Leave out those by France’s own focal points" in page
    hidden = owner.get(f"/documents/{document}?hide_own=1").get_data(as_text=True)
    assert "Shown: downloads and views by other States, the Secretariat and the Court." in hidden
    assert "Also show those by France’s own focal points" in hidden
