"""Every route that takes a second-factor code: single use under concurrency, the lock, the
per-account and per-address rate limits, and an audit record for every failure."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import Invitation, RecoveryCode, User
from coop_platform.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, next_code, post_form
from tests.support.documents import upload, uploaded_id
from tests.support.rfc6238 import code_for

START = "2026-11-23 10:00:00"
NEW_PASSWORD = "lantern-quarry-orchid-basalt-58"


def race(calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # surfaced below, with the test's own message
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def count(app, stmt) -> int:
    with app.app_context():
        value = db.session.scalar(stmt)
        db.session.remove()
        return value


def failures(app, action: str) -> int:
    return count(app, select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action, AuditEvent.outcome == "failure"))


def posted(client, path, data, token_path=None):
    """A POST with the form's CSRF token, read in full before the thread returns."""
    response = post_form(client, path, data, token_path=token_path)
    response.get_data()
    return response


# -- single use under concurrency -------------------------------------------------------------
def test_one_totp_code_sent_by_four_sessions_at_once_opens_one(app, make_user):
    user = make_user()
    clients = [app.test_client() for _ in range(4)]
    with freeze_time(START):
        for c in clients:
            r = post_form(c, "/auth/login", {"email": user.email, "password": PASSWORD})
            assert r.status_code == 302
        tokens = [csrf_token(c, "/auth/second-factor") for c in clients]
        code = code_for(user.secret)

        def attempt(c, token):
            return lambda: c.post("/auth/second-factor", data={"csrf_token": token, "code": code})

        results = race([attempt(c, t) for c, t in zip(clients, tokens, strict=True)])
        statuses = sorted(r.status_code for r in results)
        assert statuses == [302, 400, 400, 400], statuses
        assert sum(c.get("/").status_code == 200 for c in clients) == 1
    assert count(app, select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "login.success")) == 1


def test_one_recovery_code_sent_by_four_sessions_at_once_opens_one(app, make_user):
    user = make_user()
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        assert post_form(c, "/auth/login", {"email": user.email,
                                            "password": PASSWORD}).status_code == 302
    tokens = [csrf_token(c, "/auth/second-factor") for c in clients]
    code = user.recovery_codes[0]
    results = race([
        (lambda c=c, t=t: c.post("/auth/second-factor", data={"csrf_token": t, "code": code}))
        for c, t in zip(clients, tokens, strict=True)])
    assert sorted(r.status_code for r in results) == [302, 400, 400, 400]
    assert count(app, select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_not(None))) == 1


def test_one_step_up_code_sent_by_four_sessions_at_once_opens_one(app, make_user):
    user = make_user()
    clients = [app.test_client() for _ in range(4)]
    with freeze_time(START) as frozen:
        for c in clients:
            assert login(c, app, user, code_for(user.secret)).status_code == 302
            frozen.tick(timedelta(seconds=30))
        public_id = uploaded_id(upload(clients[0], classification="confidential"))
        page = clients[0].get(f"/documents/{public_id}").get_data(as_text=True)
        version_id = page.split("/versions/")[1].split("/")[0]
        path = f"/documents/{public_id}/versions/{version_id}/step-up"
        frozen.tick(timedelta(minutes=11))  # every session's last code is now too old
        tokens = [csrf_token(c, path) for c in clients]
        code = code_for(user.secret)
        results = race([(lambda c=c, t=t: c.post(path, data={"csrf_token": t, "code": code}))
                        for c, t in zip(clients, tokens, strict=True)])
        statuses = sorted(r.status_code for r in results)
        assert statuses == [303, 400, 400, 400], statuses
        download = f"/documents/{public_id}/versions/{version_id}/download"
        assert sorted(c.get(download).status_code for c in clients) == [200, 302, 302, 302]
    assert count(app, select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "step_up.success")) == 1


# -- the lock and the rate limits on every route that takes a code ----------------------------
class Route:
    """How to send a code to one route, and what it would change if the code were taken."""

    def __init__(self, name, path, data, token_path=None, action="step_up.failure"):
        self.name, self.path, self.data, self.token_path = name, path, data, token_path
        self.action = action

    def send(self, client, code):
        return posted(client, self.path, self.data(code), token_path=self.token_path)


ROUTES = {
    "login": Route("login", "/auth/second-factor", lambda c: {"code": c},
                   action="login.failure"),
    "download": Route("download", "{step_up}", lambda c: {"code": c}),
    "password": Route("password", "/auth/account/password", lambda c: {
        "current_password": PASSWORD, "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD, "code": c}),
    "recovery_codes": Route("recovery_codes", "/auth/account/recovery-codes",
                            lambda c: {"recovery-code": c}, token_path="/auth/account"),
    "authenticator": Route("authenticator", "/auth/account/authenticator",
                           lambda c: {"reenrol-code": c}, token_path="/auth/account"),
}


def prepare(app, make_user, route: Route, frozen=None):
    """A client ready to send codes to `route`, and the route's resolved path. Without a
    frozen clock (the limiter's in-memory storage expires keys on the real one), the step-up
    window is closed instead of waited out."""
    user = make_user()
    client = app.test_client()
    if route.name == "login":
        assert post_form(client, "/auth/login", {"email": user.email,
                                                 "password": PASSWORD}).status_code == 302
        return user, client, route
    assert login(client, app, user, next_code(app, user)).status_code == 302
    if route.name == "download":
        public_id = uploaded_id(upload(client, classification="confidential"))
        page = client.get(f"/documents/{public_id}").get_data(as_text=True)
        version_id = page.split("/versions/")[1].split("/")[0]
        route = Route("download", f"/documents/{public_id}/versions/{version_id}/step-up",
                      route.data)
        route.download = f"/documents/{public_id}/versions/{version_id}/download"
        if frozen:
            frozen.tick(timedelta(minutes=11))
        else:
            app.config["STEP_UP_WINDOW"] = timedelta(0)
    elif frozen:
        frozen.tick(timedelta(seconds=30))
    return user, client, route


def effects(app, user) -> tuple:
    """What a taken code would have changed: password, recovery codes, re-enrolment links."""
    with app.app_context():
        row = db.session.get(User, user.id)
        result = (row.password_hash,
                  db.session.scalar(select(func.count(RecoveryCode.id))
                                    .where(RecoveryCode.user_id == user.id)),
                  db.session.scalar(select(func.count(Invitation.id))
                                    .where(Invitation.user_id == user.id)))
        db.session.remove()
        return result


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_five_wrong_codes_lock_every_route_and_a_right_code_is_then_refused(app, make_user,
                                                                            name):
    with freeze_time(START) as frozen:
        user, client, route = prepare(app, make_user, ROUTES[name], frozen)
        before = effects(app, user)
        statuses = [route.send(client, "000000").status_code for _ in range(5)]
        if name != "login":  # the sign-in was ended by the lock: there is no code step left
            locked_right = route.send(client, code_for(user.secret))
        assert failures(app, route.action) == (5 if name == "login" else 6)
        if name == "login":
            again = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    if name == "login":
        # The fifth wrong code ends the half-open sign-in; the password step then says locked.
        assert statuses == [400] * 4 + [303]
        assert again.status_code == 403
        assert "locked until" in again.get_data(as_text=True)
    else:
        assert statuses == [400] * 4 + [403]
        assert locked_right.status_code == 403
        assert "locked until" in locked_right.get_data(as_text=True)
        if name == "download":
            assert client.get(route.download).status_code == 302  # still asks for a code
    assert effects(app, user) == before
    assert count(app, select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "login.lockout")) == 1


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_codes_per_account_are_rate_limited_on_every_route(app, make_user, name):
    app.config["CODE_RATE_LIMIT"] = "4 per minute"  # the sign-in's own code counts as one
    try:
        user, client, route = prepare(app, make_user, ROUTES[name])
        before = effects(app, user)
        wrong = [route.send(client, "000000").status_code for _ in range(3 if name != "login"
                                                                         else 4)]
        limited = route.send(client, next_code(app, user))
    finally:
        app.config["CODE_RATE_LIMIT"] = "10 per minute"
        app.config["STEP_UP_WINDOW"] = timedelta(minutes=10)
    assert set(wrong) == {400}
    assert limited.status_code == 429
    assert "Too many codes were tried" in limited.get_data(as_text=True)
    assert effects(app, user) == before
    assert failures(app, route.action) == len(wrong) + 1


def test_codes_per_address_are_rate_limited_across_accounts(app, make_user):
    app.config["CODE_ADDRESS_RATE_LIMIT"] = "3 per minute"
    try:
        clients = []
        for _ in range(2):
            user = make_user()
            c = app.test_client()
            assert post_form(c, "/auth/login", {"email": user.email,
                                                "password": PASSWORD}).status_code == 302
            clients.append((c, user))
        first, second = clients
        assert [posted(first[0], "/auth/second-factor", {"code": "000000"}).status_code
                for _ in range(3)] == [400, 400, 400]
        limited = posted(second[0], "/auth/second-factor", {"code": next_code(app, second[1])})
        assert limited.status_code == 429
        assert "Too many codes were tried" in limited.get_data(as_text=True)
        assert second[0].get("/").status_code == 302
    finally:
        app.config["CODE_ADDRESS_RATE_LIMIT"] = "1000 per minute"
