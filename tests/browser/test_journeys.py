"""Journeys in Debian's Chromium driven by Playwright, against a real HTTP server.

Chromium comes from Debian (`apt-get install chromium`); no browser is ever downloaded.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import PASSWORD
from tests.support.rfc6238 import code_for

CHROMIUM = "/usr/bin/chromium"
ZBARIMG = "/usr/bin/zbarimg"
IN_CI = os.environ.get("CI") == "true"
# On a developer's machine without Chromium the journeys are skipped; in CI they must run, so
# a missing browser or decoder is a failure there (.ci/run installs them).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not IN_CI and not os.path.exists(CHROMIUM),
                       reason="Debian's chromium is not installed"),
]
ARTIFACTS = os.environ.get("SPC_BROWSER_ARTIFACTS")


@pytest.fixture
def page():
    if IN_CI:
        assert os.path.exists(CHROMIUM), "CI: Debian's chromium is missing"
        import playwright.sync_api as sync_api
    else:
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


def sign_in(page, server, user) -> None:
    page.goto(server + "/auth/login")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(code_for(user.secret))
    page.get_by_role("button", name="Sign in").click()
    assert not page.url.endswith(("/auth/login", "/auth/second-factor")), page.url


def decoded_qr(page, tmp_path) -> str:
    if not os.path.exists(ZBARIMG):
        if IN_CI:
            pytest.fail("CI: zbarimg (Debian's zbar-tools) is missing")
        pytest.skip("zbarimg is not installed")
    picture = tmp_path / "qr.png"
    page.locator(".qr").screenshot(path=str(picture))
    # A fixed program on a file this test wrote: no untrusted input reaches the command.
    result = subprocess.run([ZBARIMG, "--quiet", "--raw", str(picture)],  # noqa: S603
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, f"no QR code found in the screenshot: {result.stderr}"
    return result.stdout.strip()


def test_invitation_enrolment_then_login_with_a_fresh_code(server, page, runner, states,
                                                           tmp_path):
    result = runner.invoke(args=["users", "invite", "journey@example.org", "--role",
                                 "focal_point", "--state", "SEN"])
    assert result.exit_code == 0, result.output
    path = urlparse(result.output.strip()).path

    page.goto(server + path)
    uri = page.get_attribute("[data-otpauth-uri]", "data-otpauth-uri")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    assert page.locator(".qr svg").count() == 1
    shot(page, "01-enrolment")
    # What a phone would scan: the QR code as drawn on the page decodes to the same key.
    assert decoded_qr(page, tmp_path) == uri
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator").fill(code_for(secret))
    page.get_by_role("button", name="Finish").click()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shot(page, "02-recovery-codes")
    # Switching language on this page keeps the codes (they are already in force).
    page.get_by_role("button", name="Français").click()
    assert page.locator("h1").inner_text() == "Vos codes de secours"
    assert page.locator(".recovery-codes li").all_inner_texts() == codes
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="I have kept my codes").click()
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
    sign_in(page, server, user)

    page.goto(server + "/documents/new")
    page.get_by_label("Title").fill("Urgent freezing procedure")
    page.get_by_label("Type of document").select_option("procedure")
    page.get_by_label("Freezing and seizure").check()
    page.get_by_label("All States Parties").check()
    pdf = tmp_path / "procedure.pdf"
    from tests.support import files

    # Large enough for the browser to report progress along the way.
    pdf.write_bytes(files.pdf() + b"%" + b"0" * (8 * 1024 * 1024) + b"\n%%EOF\n")
    page.set_input_files("#file", str(pdf))
    bar = page.locator(".upload-progress")
    assert bar.count() == 1
    assert bar.is_hidden()  # nothing to show before an upload starts
    shot(page, "06-upload")
    # A listener added when the request is sent runs after the page's own: it reads the bar
    # just after the page updated it, at every progress event of the upload.
    page.evaluate("""() => {
        window.seenProgress = [];
        const send = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.send = function (body) {
            this.upload.addEventListener("progress", () => {
                const b = document.querySelector(".upload-progress");
                window.seenProgress.push([b.checkVisibility(), b.value]);
            });
            return send.call(this, body);
        };
    }""")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/documents/*-*")
    assert page.locator("h1").inner_text() == "Urgent freezing procedure"
    assert page.get_by_role("link", name="Download").count() == 1
    # The page came through the upload's own request: its scripts run all the same (the
    # States picker stays hidden for "All States Parties").
    assert page.get_by_label("All States Parties").is_checked()
    page.locator("[data-sharing-summary]").filter(has_text="all States Parties").wait_for()
    assert page.locator("[data-state-picker]").is_hidden()
    seen = page.evaluate("window.seenProgress")
    assert any(visible and value > 0 for visible, value in seen), seen[:5]
    shot(page, "07-document")
    assert page.console_errors == []


def test_state_picker_shows_only_for_selected_states_and_filters(server, page, make_user):
    user = make_user(state="FRA")
    sign_in(page, server, user)

    page.goto(server + "/documents/new")
    picker = page.locator("[data-state-picker]")
    summary = page.locator("[data-sharing-summary]")
    page.get_by_label("All States Parties").check()
    assert picker.is_hidden()
    assert summary.inner_text() == ("Once published, it will be visible to: the Secretariat; "
                                    "all States Parties.")
    page.get_by_label("Selected States").check()
    assert picker.is_visible()
    page.get_by_label("Find a State").fill("sene")
    assert page.get_by_label("Senegal").is_visible()
    assert page.get_by_label("Japan").is_hidden()
    page.get_by_label("Senegal").check()
    page.get_by_label("Also share with the Court").check()
    assert summary.inner_text() == ("Once published, it will be visible to: the Secretariat; "
                                    "the selected States (1); the Court.")
    shot(page, "08-state-picker")
    assert page.console_errors == []


def test_rejecting_asks_for_confirmation_on_a_second_page(server, page, app, logged_in,
                                                          make_user):
    from tests.conftest import post_form
    from tests.support.documents import upload, uploaded_id

    owner, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(owner, title="Out of scope note"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    sign_in(page, server, make_user(role="moderator", state=None))
    page.goto(server + f"/documents/{doc}")
    page.get_by_label("Why it is rejected (the owner State reads it)").fill("Not about cooperation.")
    page.get_by_role("button", name="Reject").click()
    assert page.locator("h1").inner_text() == "Reject this document?"
    assert "Not about cooperation." in page.locator("main").inner_text()
    page.get_by_role("link", name="No, go back").click()
    assert "Pending moderation" in page.locator("main").inner_text()  # nothing happened
    page.get_by_label("Why it is rejected (the owner State reads it)").fill("Not about cooperation.")
    page.get_by_role("button", name="Reject").click()
    page.get_by_role("button", name="Yes, reject it").click()
    assert "Rejected" in page.locator("main").inner_text()
    assert page.console_errors == []


def test_answers_are_saved_automatically_while_typing(server, page, app, make_user):
    from tests.support.questionnaires import seeded_questionnaire

    qid = seeded_questionnaire(app)
    user = make_user(state="FRA")
    sign_in(page, server, user)
    # Opening a section of a response not yet started leads to the response page, which
    # starts it (a GET writes nothing).
    page.goto(server + f"/questionnaires/{qid}/response/B")
    assert page.url.endswith(f"/questionnaires/{qid}/response")
    page.get_by_role("button", name="Start the response").click()
    assert page.url.endswith(f"/questionnaires/{qid}/response/A")
    page.goto(server + f"/questionnaires/{qid}/response/B")
    page.locator("textarea[name='B.5.value']").fill("Typed, never saved by hand")
    page.get_by_text("All changes saved.").wait_for(timeout=10_000)
    page.locator("textarea[name='B.5.value']").fill("Typed again")
    from playwright.sync_api import expect

    expect(page.locator("input[name='B.5.base']")).to_have_value("2", timeout=10_000)
    page.reload()
    assert page.locator("textarea[name='B.5.value']").input_value() == "Typed again"
    # The Save button still works after autosaving (the page knows the new revision).
    page.locator("textarea[name='B.5.value']").fill("Saved with the button")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Saved." in page.locator(".messages").inner_text()
    shot(page, "12-questionnaire-autosave")
    assert page.console_errors == []


def test_a_conditional_question_shows_only_when_its_condition_holds(server, page, app,
                                                                    make_user):
    from playwright.sync_api import expect

    from tests.support.questionnaires import seeded_questionnaire

    qid = seeded_questionnaire(app)
    sign_in(page, server, make_user(state="FRA"))
    page.goto(server + f"/questionnaires/{qid}/response")
    page.get_by_role("button", name="Start the response").click()
    page.goto(server + f"/questionnaires/{qid}/response/B")
    # B.2 (the implementing legislation) is asked when B.1 is "yes" or "partly".
    b2 = page.locator("fieldset#q-B\\.2")
    expect(b2).to_be_hidden()
    page.locator("input[name='B.1.value'][value='partly']").check()
    expect(b2).to_be_visible()
    page.locator("input[name='B.1.value'][value='no']").check()
    expect(b2).to_be_hidden()
    # A question whose condition is in the same section but unrelated stays visible.
    expect(page.locator("fieldset#q-B\\.5")).to_be_visible()
    assert page.console_errors == []


# Every word of every choice's label, as the browser laid it out: a word drawn on two lines
# has two boxes (issue 22: "Police e or judici al polic e" at 1280 px). A hyphen is a place
# where a line may end ("anti-money-laundering").
BROKEN_WORDS = """() => {
  const broken = [];
  for (const label of document.querySelectorAll("form.answers .choice label")) {
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s\\u2010-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def test_choices_are_stacked_and_no_word_of_theirs_is_broken(server, page, app, make_user):
    from tests.support.questionnaires import seeded_questionnaire

    qid = seeded_questionnaire(app)
    sign_in(page, server, make_user(state="FRA"))
    page.goto(server + f"/questionnaires/{qid}/response")
    page.get_by_role("button", name="Start the response").click()
    problems = []
    for language in ("en", "fr"):
        if language == "fr":
            page.get_by_role("button", name="Français").click()
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            for section in "ABCDEF":
                page.goto(server + f"/questionnaires/{qid}/response/{section}")
                labels = page.locator("form.answers .choice label")
                if not labels.count():
                    continue
                problems += [(language, width, section, word)
                             for word in page.evaluate(BROKEN_WORDS)]
                # One per line: no two choices of a question side by side.
                tops = page.evaluate("""() => [...document.querySelectorAll(
                    "form.answers .choice")].map(group => [...group.querySelectorAll("label")]
                    .map(l => Math.round(l.getBoundingClientRect().top)))""")
                problems += [(language, width, section, "side by side")
                             for group in tops if len(set(group)) != len(group)]
    assert problems == []


# The comparison of a question four States answered (D.3, yes / partly / no), built through
# the services: each State's answer, and the counts a reader must see, written here.
COMPARED = {"FRA": "yes", "DEU": "partly", "SEN": "yes", "JPN": "no"}
COUNTED = {"en": {"Western European and other States": ["1", "1", "0"],
                  "African States": ["1", "0", "0"], "Asia-Pacific States": ["0", "0", "1"]},
           "fr": {"États d’Europe occidentale et autres États": ["1", "1", "0"],
                  "États d’Afrique": ["1", "0", "0"], "États d’Asie et du Pacifique": ["0", "0", "1"]}}


def test_the_comparison_shows_those_who_answered_a_chart_and_one_line_for_the_rest(
        server, page, app, make_user):
    from tests.support.questionnaires import respond, seeded_questionnaire

    qid = seeded_questionnaire(app)
    moderator = make_user(role="moderator", state=None)
    for iso3, value in COMPARED.items():
        respond(app, make_user(state=iso3).id, qid, {"D.3.value": value},
                accepted_by=moderator.id)
    sign_in(page, server, make_user(state="PRT"))
    for language in ("en", "fr"):
        if language == "fr":
            page.get_by_role("button", name="Français").click()
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(server + f"/questionnaires/{qid}/compare/D.3")
            rows = page.locator("table.answered-states tbody tr")
            assert rows.count() == len(COMPARED)
            # The others: one collapsed element, not a row each.
            rest = page.locator("details.not-answered")
            assert rest.count() == 1
            assert rest.get_attribute("open") is None
            assert page.locator("main .muted").count() == 0  # no "Not answered" cell
            # Both charts drawn (the CSP lets the data: images through), never so narrow that
            # their words shrink past reading (a phone scrolls them sideways).
            charts = page.locator("figure.chart img")
            assert charts.count() == 2
            drawn = page.evaluate("""() => [...document.querySelectorAll("figure.chart img")]
                .map(i => [i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width])""")
            assert all(ok and min(width, 640) <= w <= 800 for ok, w in drawn), drawn
            table = page.evaluate("""() => [...document.querySelectorAll("table.counts tbody tr")]
                .map(r => [...r.children].map(c => c.textContent.trim()))""")
            counted = {row[0]: row[1:4] for row in table if row[0] in COUNTED[language]}
            assert counted == COUNTED[language]
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shot(page, f"comparison-{language}-{width}")
    page.goto(server + "/states/FRA")
    shot(page, "profile-fr")
    assert page.console_errors == []


def test_still_accurate_confirms_without_reloading_or_moving_the_page(server, page, app,
                                                                       make_user):
    from tests.support import builders
    from tests.support.questionnaires import REQUIRED, seeded_questionnaire

    qid = seeded_questionnaire(app)
    owner = make_user(state="FRA")
    builders.save_answers(app, owner.id, qid, None,
                          {k: v for fields in REQUIRED.values() for k, v in fields.items()})
    sign_in(page, server, owner)
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(server + f"/questionnaires/{qid}/response/B")
    question = page.locator("#q-B\\.6")
    question.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    page.evaluate("window.spcMarker = 'still the same page'")
    question.get_by_role("button", name="Still accurate").click()
    from playwright.sync_api import expect

    expect(page.locator(".autosave-status")).to_have_text("Confirmed as still accurate: B.6.")
    assert page.evaluate("window.spcMarker") == "still the same page"  # no reload
    assert page.evaluate("window.scrollY") == before
    assert page.url.endswith("/response/B")
    # The date fields promise no format: the browser shows its own.
    page.goto(server + f"/questionnaires/{qid}/response/B")
    labels = page.locator("label").all_inner_texts()
    assert not [label for label in labels if "YYYY" in label]
    assert page.console_errors == []
