"""Journeys in Debian's Chromium driven by Playwright, against a real HTTP server.

Chromium comes from Debian (`apt-get install chromium`); no browser is ever downloaded.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import PASSWORD
from tests.support.rfc6238 import code_for

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
ARTIFACTS = os.environ.get("SPC_BROWSER_ARTIFACTS")


@pytest.fixture
def server(app, live_server):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the journeys run once, on SQLite; the pages do not depend on the database")
    return live_server


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        context = browser.new_context()
        pg = context.new_page()
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        yield pg
        context.close()
        browser.close()


def shot(page, name):
    if ARTIFACTS:
        page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_invitation_enrolment_then_login_with_a_fresh_code(server, page, runner, states):
    result = runner.invoke(args=["users", "invite", "journey@example.org", "--role",
                                 "focal_point", "--state", "SEN"])
    assert result.exit_code == 0, result.output
    path = urlparse(result.output.strip()).path

    page.goto(server + path)
    uri = page.get_attribute("[data-otpauth-uri]", "data-otpauth-uri")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert page.locator(".qr svg").count() == 1
    shot(page, "01-enrolment")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator").fill(code_for(secret))
    page.get_by_role("button", name="Finish").click()
    assert page.locator(".recovery-codes li").count() == 10
    shot(page, "02-recovery-codes")
    page.get_by_role("link", name="I have kept my codes").click()
    assert "Welcome" in page.locator("h1").inner_text()

    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/auth/login")
    page.get_by_label("E-mail address").fill("journey@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    shot(page, "03-second-factor")
    page.get_by_label("Code").fill(code_for(secret, offset_steps=1))
    page.get_by_role("button", name="Sign in").click()
    assert "Welcome" in page.locator("h1").inner_text()
    shot(page, "04-home")
    # The strict CSP must not have blocked anything the pages use.
    assert page.console_errors == []


def test_language_switch_without_javascript(server, page):
    page.goto(server + "/auth/login")
    page.get_by_role("button", name="Français").click()
    assert page.locator("h1").inner_text() == "Se connecter"
    page.goto(server + "/auth/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    shot(page, "05-login-fr")


def test_upload_with_progress_then_download_link(server, page, make_user, tmp_path):
    user = make_user(state="FRA")
    page.goto(server + "/auth/login")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(code_for(user.secret))
    page.get_by_role("button", name="Sign in").click()

    page.goto(server + "/documents/new")
    page.get_by_label("Title").fill("Urgent freezing procedure")
    page.get_by_label("Freezing and seizure").check()
    pdf = tmp_path / "procedure.pdf"
    from tests.support import files

    pdf.write_bytes(files.pdf())
    page.set_input_files("#file", str(pdf))
    shot(page, "06-upload")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/documents/*-*")
    assert page.locator("h1").inner_text() == "Urgent freezing procedure"
    assert page.get_by_role("link", name="Download").count() == 1
    shot(page, "07-document")
    assert page.console_errors == []
