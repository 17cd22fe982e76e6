"""Account pages: recovery codes to print or keep as a file, the re-enrolment page's title,
and an invitation link the admin can copy or have e-mailed."""

from __future__ import annotations

import re

from coop_platform.extensions import db
from coop_platform.mail import outbox as mail
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


def test_an_invitation_is_copied_or_e_mailed_when_smtp_is_configured(app, logged_in,
                                                                      smtp_server):
    admin, _ = logged_in("admin", None)
    response = post_form(admin, "/admin/users/invite",
                         {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    page = response.get_data(as_text=True)
    url = re.search(r'id="invitation-url">([^<]+)<', page).group(1)
    assert 'data-copy="#invitation-url"' in page
    assert "The link is also on its way by e-mail to new.fp@example.org." in page
    assert smtp_server.messages == []  # the request only wrote to the outbox
    with app.app_context():
        assert mail.send_due() == (1, 0)
        db.session.remove()
    assert len(smtp_server.messages) == 1
    recipients, content = smtp_server.messages[0]
    assert recipients == ["new.fp@example.org"]
    assert url in content


def test_without_smtp_the_admin_is_told_to_pass_the_link_on(app, logged_in):
    admin, _ = logged_in("admin", None)
    response = post_form(admin, "/admin/users/invite",
                         {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    assert "No e-mail server is configured" in response.get_data(as_text=True)
