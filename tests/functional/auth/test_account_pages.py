"""Account pages: recovery codes to print or keep as a file, the re-enrolment page's title,
and an invitation link the admin can copy or have e-mailed."""

from __future__ import annotations

import re
import socket

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import next_code, post_form

CODE_RE = re.compile(r"<li><code>([0-9a-z-]{19})</code></li>")


def test_new_recovery_codes_come_as_a_text_file_too(app, logged_in):
    client, user = logged_in()
    response = post_form(client, "/auth/account/recovery-codes",
                         {"recovery-code": next_code(app, user)}, token_path="/auth/account")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    codes = CODE_RE.findall(page)
    assert len(codes) == 10
    assert "data-print" in page
    download = client.get("/auth/account/recovery-codes.txt")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert download.headers["Cache-Control"] == "no-store"
    assert [line for line in download.get_data(as_text=True).splitlines()
            if CODE_RE.fullmatch(f"<li><code>{line}</code></li>")] == codes
    post_form(client, "/auth/account/recovery-codes/kept", {},
              token_path="/auth/account/recovery-codes")
    assert client.get("/auth/account/recovery-codes.txt").status_code == 404  # gone


def test_the_re_enrolment_tab_says_what_the_page_says(app, logged_in, make_user):
    from urllib.parse import urlparse

    admin, _ = logged_in("admin", None)
    user = make_user()
    response = post_form(admin, f"/admin/users/{user.public_id}/reset-2fa", {"confirmed": "1"},
                         token_path=f"/admin/users/{user.public_id}")
    url = re.search(r'id="invitation-url">([^<]+)<', response.get_data(as_text=True)).group(1)
    page = app.test_client().get(urlparse(url).path).get_data(as_text=True)
    assert "<title>Set up a new authenticator" in page
    assert "<h1>Set up a new authenticator</h1>" in page


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port (the controller needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    yield inbox
    app.config.update(SMTP_HOST=None, SMTP_PORT=587, SMTP_STARTTLS=True)
    controller.stop()


def test_an_invitation_is_copied_or_e_mailed_when_smtp_is_configured(app, logged_in,
                                                                      smtp_server):
    admin, _ = logged_in("admin", None)
    response = post_form(admin, "/admin/users/invite",
                         {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    page = response.get_data(as_text=True)
    url = re.search(r'id="invitation-url">([^<]+)<', page).group(1)
    assert 'data-copy="#invitation-url"' in page
    assert "The link was also sent by e-mail to new.fp@example.org." in page
    assert len(smtp_server.messages) == 1
    recipients, content = smtp_server.messages[0]
    assert recipients == ["new.fp@example.org"]
    assert url in content


def test_without_smtp_the_admin_is_told_to_pass_the_link_on(app, logged_in):
    admin, _ = logged_in("admin", None)
    response = post_form(admin, "/admin/users/invite",
                         {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    assert "No e-mail server is configured" in response.get_data(as_text=True)
