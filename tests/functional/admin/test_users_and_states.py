"""Admin pages: invitations, second-factor reset, disable, States."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.auth.services.common import find_user_by_email
from coop_platform.extensions import db
from coop_platform.states.models import State
from tests.conftest import PASSWORD, login, post_form
from tests.functional.auth.test_invitation import secret_from_page
from tests.support.builders import person
from tests.support.rfc6238 import code_for

URL_RE = re.compile(r'<code class="invitation-url"[^>]*>([^<]+)</code>')


def test_admin_invites_through_the_page(app, logged_in):
    client, _ = logged_in(role="admin")
    response = post_form(client, "/admin/users/invite", {
        "email": "Liaison@Example.org", "display_name": "A. Liaison", "role": "court", "state": ""})
    assert response.status_code == 200
    url = URL_RE.search(response.get_data(as_text=True)).group(1)
    assert "/auth/invitation/" in url
    with app.app_context():
        user = person("liaison@example.org")
        assert user.status == "invited"
        assert user.role == "court"


def test_admin_invite_refusals_keep_the_form(app, logged_in):
    client, _ = logged_in(role="admin")
    cases = [
        ({"email": "x@example.org", "role": "focal_point", "state": ""}, "must belong to a State"),
        ({"email": "not an email", "role": "court", "state": ""}, "valid e-mail"),
        ({"email": "x@example.org", "role": "emperor", "state": ""}, "Not a valid choice"),
        ({"email": "x@example.org", "role": "focal_point", "state": "ZZZ"}, "Not a valid choice"),
    ]
    for data, message in cases:
        response = post_form(client, "/admin/users/invite", data)
        assert response.status_code in (400, 409)
        assert message in response.get_data(as_text=True), message
    with app.app_context():
        assert find_user_by_email("x@example.org") is None


def test_reset_2fa_ends_sessions_and_requires_re_enrolment(app, logged_in, make_user):
    admin, _ = logged_in(role="admin")
    user = make_user()
    victim = app.test_client()
    assert login(victim, app, user).status_code == 302
    response = post_form(admin, f"/admin/users/{user.public_id}/reset-2fa", {"confirmed": "1"},
                         token_path=f"/admin/users/{user.public_id}")
    assert response.status_code == 200
    path = urlparse(URL_RE.search(response.get_data(as_text=True)).group(1)).path
    assert victim.get("/").status_code == 302
    # Password alone is refused with an explanation; old codes and recovery codes are gone.
    response = post_form(app.test_client(), "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "was reset" in response.get_data(as_text=True)
    # Re-enrolment needs the current password and a code from the new secret.
    fresh = app.test_client()
    secret = secret_from_page(fresh.get(path).get_data(as_text=True))
    assert secret != user.secret
    bad = post_form(fresh, path, {"password": "wrong-" + PASSWORD, "code": code_for(secret)})
    assert bad.status_code == 400
    ok = post_form(fresh, path, {"password": PASSWORD, "code": code_for(secret)})
    assert ok.status_code == 303  # on to the new recovery codes
    assert fresh.get("/").status_code == 200


def test_reset_2fa_by_cli_prints_a_link(runner, make_user):
    user = make_user()
    result = runner.invoke(args=["users", "reset-2fa", user.email])
    assert result.exit_code == 0
    assert "/auth/invitation/" in result.output
    result = runner.invoke(args=["users", "reset-2fa", "nobody@example.org"])
    assert result.exit_code != 0
    assert "No account" in result.output


def test_admin_disables_and_enables(app, logged_in, make_user):
    admin, me = logged_in(role="admin")
    user = make_user()
    victim = app.test_client()
    assert login(victim, app, user).status_code == 302
    path = f"/admin/users/{user.public_id}"
    assert post_form(admin, path + "/disable", {"confirmed": "1"},
                     token_path=path).status_code == 303
    assert victim.get("/").status_code == 302
    again = post_form(admin, path + "/disable", {"confirmed": "1"}, token_path=path)
    assert again.status_code == 303
    assert "already disabled" in admin.get(path).get_data(as_text=True)
    assert post_form(admin, path + "/enable", {}, token_path=path).status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).status == "active"
    # An admin cannot lock themself out.
    own = f"/admin/users/{me.public_id}"
    post_form(admin, own + "/disable", {"confirmed": "1"}, token_path=own)
    with app.app_context():
        assert db.session.get(User, me.id).status == "active"


def test_admin_action_without_csrf_is_refused(app, logged_in, make_user):
    admin, _ = logged_in(role="admin")
    user = make_user()
    assert admin.post(f"/admin/users/{user.public_id}/disable").status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).status == "active"


def test_state_edit_and_deactivation(app, logged_in, make_user, runner):
    admin, _ = logged_in(role="admin")
    fp = make_user(state="KEN")
    victim = app.test_client()
    assert login(victim, app, fp).status_code == 302
    response = post_form(admin, "/admin/states/KEN", {
        "name": "Republic of Kenya", "regional_group": "AFR", "status": "party", "note": "edited"})
    assert response.status_code == 303
    bad = post_form(admin, "/admin/states/KEN", {
        "name": "", "regional_group": "MARS", "status": "party", "note": ""})
    assert bad.status_code == 400
    assert post_form(admin, "/admin/states/KEN/deactivate", {},
                     token_path="/admin/states/KEN").status_code == 303
    assert victim.get("/").status_code == 302
    # The reference loader keeps the admin's edits unless asked.
    assert runner.invoke(args=["states", "load"]).exit_code == 0
    with app.app_context():
        kenya = db.session.scalars(select(State).where(State.iso3 == "KEN")).one()
        assert kenya.name == "Republic of Kenya"
        assert kenya.active is False
    assert runner.invoke(args=["states", "load", "--overwrite-local-edits"]).exit_code == 0
    with app.app_context():
        kenya = db.session.scalars(select(State).where(State.iso3 == "KEN")).one()
        assert kenya.name == "Kenya"
        assert kenya.active is True


def test_states_load_counts_and_groups(app, runner):
    result = runner.invoke(args=["states", "load"])
    assert result.exit_code == 0
    assert "created 125" in result.output
    with app.app_context():
        rows = db.session.scalars(select(State)).all()
        groups = {}
        for s in rows:
            groups[s.regional_group] = groups.get(s.regional_group, 0) + 1
        assert groups == {"AFR": 33, "APS": 19, "EEU": 20, "GRULAC": 28, "WEOG": 25}
        hungary = next(s for s in rows if s.iso3 == "HUN")
        assert hungary.status == "withdrawn"
        assert not hungary.active
    result = runner.invoke(args=["states", "load"])
    assert "created 0" in result.output
    assert "unchanged 125" in result.output


def test_states_load_refuses_a_bad_file(app, runner, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("name\tiso3\tregional_group\tstatus\tsince\tnote\nX\tXX\tNowhere\tparty\t\t\n")
    result = runner.invoke(args=["states", "load", str(bad)])
    assert result.exit_code != 0
    assert "line 2" in result.output
    with app.app_context():
        assert db.session.scalars(select(State)).first() is None


def test_admin_lists_are_filtered(logged_in, make_user):
    admin, _ = logged_in(role="admin")
    make_user(state="JPN", email="tokyo@example.org")
    page = admin.get("/admin/users?state=JPN").get_data(as_text=True)
    assert "tokyo@example.org" in page
    assert "tokyo@example.org" not in admin.get("/admin/users?state=FRA").get_data(as_text=True)
    page = admin.get("/admin/states?group=APS").get_data(as_text=True)
    assert "Japan" in page
    assert "France" not in page
