"""The two-step login: refusals, replay, recovery codes, lockout, sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.extensions import db
from tests.conftest import PASSWORD, login, next_code, post_form
from tests.support.rfc6238 import code_for


def actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_login_needs_password_and_code(app, client, make_user):
    user = make_user()
    assert client.get("/").status_code == 302  # login required by default
    response = post_form(client, "/auth/login", {"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # the password alone does not sign in
    response = post_form(client, "/auth/second-factor", {"code": next_code(app, user)})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert user.email in page.get_data(as_text=True)
    assert "login.success" in actions(app)


@pytest.mark.parametrize("email_kind", ["known", "unknown"])
def test_wrong_password_gives_one_generic_message(app, client, make_user, email_kind):
    user = make_user()
    email = user.email if email_kind == "known" else "nobody@example.org"
    response = post_form(client, "/auth/login", {"email": email, "password": "wrong-" + PASSWORD})
    assert response.status_code == 400
    assert "Invalid e-mail or password." in response.get_data(as_text=True)
    assert client.get("/auth/second-factor").status_code == 302
    assert "login.failure" in actions(app)


def test_wrong_code_is_refused(app, client, make_user):
    user = make_user()
    wrong = "000000" if next_code(app, user) != "000000" else "111111"
    response = login(client, app, user, code=wrong)
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_replayed_code_is_refused(app, make_user):
    user = make_user()
    code = code_for(user.secret)
    first = app.test_client()
    assert login(first, app, user, code=code).status_code == 302
    second = app.test_client()
    response = login(second, app, user, code=code)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_code_from_an_earlier_step_than_the_last_accepted_is_refused(app, make_user):
    user = make_user()
    assert login(app.test_client(), app, user, code=code_for(user.secret, offset_steps=1)).status_code == 302
    older = code_for(user.secret)  # valid in the window, but before the accepted step
    assert login(app.test_client(), app, user, code=older).status_code == 400


def test_recovery_code_works_once(app, make_user):
    user = make_user()
    code = user.recovery_codes[0]
    first = app.test_client()
    response = login(first, app, user, code=code.upper())
    assert response.status_code == 302
    assert "recovery code" in first.get("/").get_data(as_text=True)
    second = app.test_client()
    response = login(second, app, user, code=code)
    assert response.status_code == 400
    assert "recovery_code.used" in actions(app)


def test_five_wrong_codes_lock_the_account_for_15_minutes(app, make_user):
    user = make_user()
    with freeze_time("2026-11-23 09:00:00") as frozen:
        client = app.test_client()
        for attempt in range(5):
            response = login(client, app, user, code="999999" if attempt % 2 else "000000")
        assert response.status_code == 303
        page = client.get("/auth/login").get_data(as_text=True)
        assert "locked until Nov 23, 2026 09:15 (UTC)" in page
        # Even the right password and a valid code are refused while locked.
        response = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 403
        assert "locked until" in response.get_data(as_text=True)
        frozen.tick(timedelta(minutes=14))
        assert post_form(client, "/auth/login", {"email": user.email,
                                                 "password": PASSWORD}).status_code == 403
        frozen.tick(timedelta(minutes=2))
        assert login(client, app, user).status_code == 302
        assert client.get("/").status_code == 200
    assert "login.lockout" in actions(app)


def test_twelve_wrong_codes_are_all_refused(app, make_user):
    user = make_user()
    client = app.test_client()
    statuses = []
    for _ in range(12):
        response = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
        if response.status_code != 302:
            statuses.append(response.status_code)
            continue
        statuses.append(post_form(client, "/auth/second-factor", {"code": "000001"}).status_code)
    # Four refusals at the code step; the fifth locks (back to the sign-in page); from then on
    # the right password is told the account is locked, and no code is asked.
    assert statuses == [400] * 4 + [303] + [403] * 7
    assert client.get("/").status_code == 302


def test_ten_wrong_passwords_lock_without_revealing_it(app, make_user):
    user = make_user()
    client = app.test_client()
    for _ in range(10):
        response = post_form(client, "/auth/login", {"email": user.email, "password": "nope-" + PASSWORD})
        assert response.status_code == 400
    # Wrong password on a locked account: the same generic message.
    response = post_form(client, "/auth/login", {"email": user.email, "password": "nope-" + PASSWORD})
    assert "Invalid e-mail or password." in response.get_data(as_text=True)
    # Right password: now the person is told until when.
    response = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "locked until" in response.get_data(as_text=True)


def test_second_factor_without_password_step_goes_back_to_login(client):
    assert client.get("/auth/second-factor").status_code == 302
    response = post_form(client, "/auth/second-factor", {"code": "123456"},
                         token_path="/auth/login")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(app, client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "request.denied" in actions(app)


def test_session_dies_after_logout_even_if_cookie_is_replayed(app, logged_in):
    client, _user = logged_in()
    saved = client.get_cookie("spc_session").value
    assert post_form(client, "/auth/logout", {}, token_path="/").status_code == 302
    assert client.get("/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("spc_session", saved)
    assert thief.get("/").status_code == 302


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user()
    mine, other = app.test_client(), app.test_client()
    assert login(other, app, user, code=code_for(user.secret)).status_code == 302
    assert login(mine, app, user, code=code_for(user.secret, offset_steps=1)).status_code == 302
    new = "quartz-lagoon-summit-orchid-42"
    with freeze_time(timedelta(seconds=60), tick=True):
        response = post_form(mine, "/auth/account/password", {
            "current_password": PASSWORD, "password": new, "password_confirm": new,
            "code": next_code(app, user)})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert mine.get("/").status_code == 200  # this session was kept
        assert other.get("/").status_code == 302  # the other one ended
    assert "password.changed" in actions(app)


def test_password_change_refusals(app, logged_in):
    client, user = logged_in()
    cases = [
        ({"current_password": "wrong-" + PASSWORD}, "not correct"),
        ({"password": "password1234", "password_confirm": "password1234"}, "too common"),
        ({"code": "000000"}, "not valid"),
    ]
    new = "quartz-lagoon-summit-orchid-42"
    for override, message in cases:
        data = {"current_password": PASSWORD, "password": new, "password_confirm": new,
                "code": "000000", **override}
        response = post_form(client, "/auth/account/password", data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).password_changed_at is None


def test_idle_timeout_and_absolute_timeout(app, make_user):
    user = make_user()
    with freeze_time("2026-11-23 08:00:00") as frozen:
        client = app.test_client()
        assert login(client, app, user).status_code == 302
        frozen.tick(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        frozen.tick(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302
    with freeze_time("2026-11-24 08:00:00") as frozen:
        client = app.test_client()
        assert login(client, app, user).status_code == 302
        for _ in range(25):  # active all along, but 12 h is the limit
            frozen.tick(timedelta(minutes=29))
            last = client.get("/")
        assert last.status_code == 302


def test_inactive_state_cannot_sign_in(app, make_user, runner):
    user = make_user(state="BEN")
    client = app.test_client()
    assert login(client, app, user).status_code == 302
    from coop_platform.states.models import State
    with app.app_context():
        db.session.scalars(select(State).where(State.iso3 == "BEN")).one().active = False
        db.session.commit()
    assert client.get("/").status_code == 302  # the open session ends
    response = post_form(app.test_client(), "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "cannot sign in" in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(app, make_user, runner):
    user = make_user()
    client = app.test_client()
    assert login(client, app, user).status_code == 302
    assert runner.invoke(args=["users", "disable", user.email]).exit_code == 0
    assert client.get("/").status_code == 302
    response = post_form(app.test_client(), "/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "disabled" in response.get_data(as_text=True)


def test_regenerating_recovery_codes_invalidates_the_old_set(app, logged_in):
    client, user = logged_in()
    with freeze_time(timedelta(seconds=60), tick=True):
        response = post_form(client, "/auth/account/recovery-codes",
                             {"recovery-code": next_code(app, user)}, token_path="/auth/account")
        assert response.status_code == 303
        shown = client.get(response.headers["Location"]).get_data(as_text=True)
        assert shown.count("<li><code>") == 10
        response = login(app.test_client(), app, user, code=user.recovery_codes[1])
        assert response.status_code == 400


def test_non_ascii_digits_are_a_wrong_code_not_a_crash(app, make_user):
    user = make_user()
    response = login(app.test_client(), app, user, code="١٢٣٤٥٦")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_user_replaces_own_authenticator_old_one_works_until_confirmed(app, make_user):
    from tests.functional.auth.test_invitation import secret_from_page

    user = make_user()
    with freeze_time("2026-11-23 10:00:00") as frozen:
        other, mine = app.test_client(), app.test_client()
        assert login(other, app, user).status_code == 302
        frozen.tick(timedelta(seconds=30))
        assert login(mine, app, user).status_code == 302
        frozen.tick(timedelta(seconds=30))
        refused = post_form(mine, "/auth/account/authenticator", {"reenrol-code": "000000"},
                            token_path="/auth/account")
        assert refused.status_code == 400
        assert "That code is not valid" in refused.get_data(as_text=True)
        response = post_form(mine, "/auth/account/authenticator",
                             {"reenrol-code": next_code(app, user)}, token_path="/auth/account")
        assert response.status_code == 303
        path = response.headers["Location"]
        new_secret = secret_from_page(mine.get(path).get_data(as_text=True))
        # Not confirmed yet: the old authenticator still signs in.
        frozen.tick(timedelta(seconds=30))
        assert other.get("/").status_code == 200
        ok = post_form(mine, path, {"password": PASSWORD, "code": code_for(new_secret)})
        assert ok.status_code == 303
        assert mine.get("/").status_code == 200
        assert other.get("/").status_code == 302  # sessions of the old authenticator ended
        frozen.tick(timedelta(seconds=30))
        old = login(app.test_client(), app, user, code=code_for(user.secret))
        assert old.status_code == 400
        user.secret = new_secret
        assert login(app.test_client(), app, user).status_code == 302
    assert "totp.reenrolled" in actions(app)


def test_account_page_offers_every_self_service_action(logged_in):
    client, user = logged_in()
    html = client.get("/auth/account").get_data(as_text=True)
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title  # the page title holds text only
    main = html.split('<main id="main"', 1)[1]
    for text in (user.email, "Change my password", "Make new recovery codes",
                 "Replace my authenticator"):
        assert text in main
