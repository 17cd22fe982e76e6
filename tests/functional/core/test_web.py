"""Web hardening, error pages, health check, languages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.extensions import db
from tests.conftest import next_code, post_form


def test_security_headers_on_pages(client):
    response = client.get("/auth/login")
    h = response.headers
    csp = h["Content-Security-Policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "form-action 'self'",
                      "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert h["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in h["Permissions-Policy"]
    assert h["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in h  # only in production


class InlineCode(HTMLParser):
    """Finds what the CSP forbids: script elements with a body or without src, style elements,
    style attributes and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {k.lower() for k, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.found.append("script without src")
        if tag == "style":
            self.found.append("style element")
        self.found += [f"{tag}[{n}]" for n in names if n == "style" or n.startswith("on")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script body")


def test_no_inline_script_or_style_in_any_page(app, logged_in):
    from tests.support.documents import upload, uploaded_id

    focal, _ = logged_in("focal_point", "FRA")
    admin, _ = logged_in("admin", None)
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(focal))
    pages = {
        app.test_client(): ["/auth/login"],
        focal: ["/", "/documents/", "/documents/new", f"/documents/{doc}",
                f"/documents/{doc}/edit", f"/documents/{doc}/versions/new", "/auth/account",
                "/auth/account/password", "/notifications/"],
        admin: ["/admin/users", "/admin/users/invite", "/admin/states", "/admin/states/FRA",
                "/audit/"],
        moderator: ["/moderation/", "/moderation/dashboard"],
    }
    for client, paths in pages.items():
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            parser = InlineCode()
            parser.feed(response.get_data(as_text=True))
            assert parser.found == [], (path, parser.found)


def test_session_cookie_flags(app, logged_in):
    client, _ = logged_in()
    cookie = client.get_cookie("spc_session")
    assert cookie.http_only
    assert cookie.same_site == "Strict"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report.pop("search")["pending_changes"] == 0
    assert report == {"status": "ok", "database": "ok", "keys": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_stranger_is_told_ok_and_nothing_else(app, logged_in, path):
    """Outside SPC_METRICS_ALLOWED (127.0.0.1 and ::1 by default) a health answer is its
    status only: the entry count and the mail queue moved with each save anyone made."""
    stranger = {"REMOTE_ADDR": "203.0.113.7"}  # TEST-NET-3 (RFC 5737), not allowed
    operator = app.test_client().get(path).get_json()
    assert {"database", "keys"} <= set(operator)
    owner, _ = logged_in("focal_point", "FRA")  # signed in, from afar: still a stranger
    for client in (app.test_client(), owner):
        page = client.get(path, environ_base=stranger)
        assert page.status_code == 200
        assert page.get_json() == {"status": "ok"}


def test_error_pages_never_show_a_trace(app, logged_in):
    client, _ = logged_in()
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
    response = client.post("/", data={})
    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)
    response = client.get("/auth/language")
    assert response.status_code == 405


def test_request_too_large_is_413(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/auth/login", data=b"x" * size,
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413


def test_unexpected_error_is_a_plain_500(app, logged_in, monkeypatch):
    client, _ = logged_in()
    import coop_platform.home.views as views

    def boom(_user):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "remaining_recovery_codes", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_language_choice_is_remembered(app, logged_in, client):
    response = post_form(client, "/auth/language", {"lang": "fr", "next": "/auth/login"},
                         token_path="/auth/login")
    assert response.status_code == 302
    assert "Se connecter" in client.get("/auth/login").get_data(as_text=True)
    signed_in, user = logged_in()
    post_form(signed_in, "/auth/language", {"lang": "fr", "next": "/"}, token_path="/")
    with app.app_context():
        assert db.session.scalars(select(User.locale).where(User.id == user.id)).one() == "fr"
    assert 'lang="fr"' in signed_in.get("/").get_data(as_text=True)


def test_language_refuses_offsite_redirects(client):
    response = post_form(client, "/auth/language", {"lang": "en", "next": "//evil.example"},
                         token_path="/auth/login")
    assert response.headers["Location"] == "/"


def test_next_after_login_stays_on_site(app, make_user):
    for target, expected in [("/auth/account", "/auth/account"), ("//evil.example", "/"),
                             ("/\\evil.example", "/"), ("https://evil.example", "/")]:
        user = make_user()
        client = app.test_client()
        response = post_form(client, "/auth/login?next=" + target,
                             {"email": user.email, "password": user.password},
                             token_path="/auth/login")
        assert response.status_code == 302
        response = post_form(client, "/auth/second-factor", {"code": next_code(app, user)})
        assert response.headers["Location"] == expected, target


def test_protected_page_remembers_where_you_were_going(app, make_user):
    user = make_user()
    client = app.test_client()
    response = client.get("/auth/account")
    assert "next=/auth/account" in response.headers["Location"]
    post_form(client, response.headers["Location"], {"email": user.email, "password": user.password},
              token_path="/auth/login")
    response = post_form(client, "/auth/second-factor", {"code": next_code(app, user)})
    assert response.headers["Location"] == "/auth/account"


def test_nul_characters_are_a_400_on_every_database(client):
    response = post_form(client, "/auth/login", {"email": "a\x00@example.org", "password": "x" * 12})
    assert response.status_code == 400
    assert client.get("/auth/invitation/abc%00def" + "x" * 30).status_code == 400
    assert client.get("/auth/login?next=/%00").status_code == 400
