"""Invitation by CLI and acceptance through the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import Invitation, User
from coop_platform.extensions import db
from tests.conftest import PASSWORD, csrf_token, post_form
from tests.support.builders import person
from tests.support.rfc6238 import code_for

OTPAUTH_RE = re.compile(r'data-otpauth-uri="([^"]+)"')


def invite(runner, email="new.fp@example.org", role="focal_point", state="SEN"):
    args = ["users", "invite", email, "--role", role] + (["--state", state] if state else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://localhost/auth/invitation/")
    return urlparse(url).path


def secret_from_page(html: str) -> str:
    uri = OTPAUTH_RE.search(html).group(1).replace("&amp;", "&")
    return parse_qs(urlparse(uri).query)["secret"][0]


def enrol(client, path, password=PASSWORD, confirm=None, code=None):
    page = client.get(path)
    assert page.status_code == 200
    secret = secret_from_page(page.get_data(as_text=True))
    data = {"password": password, "password_confirm": confirm or password,
            "code": code or code_for(secret)}
    return post_form(client, path, data), secret


def test_invitation_accepted_with_independent_totp(app, client, runner, states):
    path = invite(runner)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert "data-otpauth-uri" in html
    assert "<svg" in html
    response, _secret = enrol(client, path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/account/recovery-codes"
    shown = client.get("/auth/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", shown)
    assert len(codes) == 10
    # A language switch (or a reload) shows the same codes again: they are already in force.
    post_form(client, "/auth/language", {"lang": "fr", "next": "/auth/account/recovery-codes"},
              token_path="/auth/account/recovery-codes")
    again = client.get("/auth/account/recovery-codes").get_data(as_text=True)
    assert "Vos codes de secours" in again
    assert re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", again) == codes
    # Once the person says they kept them, they are gone from the session.
    post_form(client, "/auth/account/recovery-codes/kept", {},
              token_path="/auth/account/recovery-codes")
    assert client.get("/auth/account/recovery-codes").status_code == 302
    assert client.get("/").status_code == 200  # signed in after enrolment
    with app.app_context():
        user = person("new.fp@example.org")
        assert user.status == "active"
        assert user.state.iso3 == "SEN"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.totp_secret
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"invitation.created", "account.enrolled", "recovery_codes.issued"} <= actions


def test_enrolment_secret_is_stable_until_used(client, runner, states):
    path = invite(runner)
    first = secret_from_page(client.get(path).get_data(as_text=True))
    assert secret_from_page(client.get(path).get_data(as_text=True)) == first


def test_used_invitation_is_refused(app, client, runner, states):
    path = invite(runner)
    enrol(client, path)
    other = app.test_client()
    assert other.get(path).status_code == 410
    assert "already been used" in other.get(path).get_data(as_text=True)


def test_expired_invitation_is_refused(client, runner, states):
    path = invite(runner)
    with freeze_time(timedelta(hours=73), tick=True):
        page = client.get(path)
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)


def test_reinvitation_replaces_the_older_link(client, runner, states):
    first = invite(runner)
    second = invite(runner)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_unknown_token_is_refused(client):
    assert client.get("/auth/invitation/" + "x" * 43).status_code == 410


@pytest.mark.parametrize(
    ("password", "confirm", "bad_code", "message"),
    [
        ("password1234", None, False, "too common"),
        ("short", None, False, "at least 12"),
        (PASSWORD, PASSWORD + "x", False, "do not match"),
        (PASSWORD, None, True, "does not match"),
    ],
)
def test_bad_enrolment_input_is_refused_and_account_stays_invited(
    app, client, runner, states, password, confirm, bad_code, message
):
    path = invite(runner)
    response, _ = enrol(client, path, password=password, confirm=confirm,
                        code="000000" if bad_code else None)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        user = person("new.fp@example.org")
        assert user.status == "invited"
        assert user.password_hash is None
        assert db.session.scalars(select(Invitation)).one().used_at is None


def test_enrolment_post_without_csrf_is_refused(app, client, runner, states):
    path = invite(runner)
    secret = secret_from_page(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"password": PASSWORD, "password_confirm": PASSWORD,
                                       "code": code_for(secret)})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(User)).one().status == "invited"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--role", "court"], "valid e-mail"),
        (["a@example.org", "--role", "focal_point"], "must belong to a State"),
        (["a@example.org", "--role", "focal_point", "--state", "XXX"], "Unknown State"),
        (["a@example.org", "--role", "admin", "--state", "FRA"], "belong to no State"),
        (["a@example.org", "--role", "focal_point", "--state", "HUN"], "inactive"),
    ],
)
def test_cli_invite_refusals(runner, states, args, message):
    result = runner.invoke(args=["users", "invite", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_cannot_invite_an_existing_account(runner, make_user):
    user = make_user()
    result = runner.invoke(args=["users", "invite", user.email, "--role", "court"])
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_invitation_page_has_no_token_in_any_audit_record(app, client, runner, states):
    path = invite(runner)
    token = path.rsplit("/", 1)[1]
    enrol(client, path)
    csrf_token(client, "/")
    with app.app_context():
        for event in db.session.scalars(select(AuditEvent)):
            assert token not in event.details
