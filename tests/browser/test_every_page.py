"""Every page of the journeys, in each role, on a phone-sized screen (375 px): nothing wider
than the screen, and axe-core (injected from the npm registry's package) finds no serious or
critical accessibility violation. In French, no English State name and no untranslated
enumeration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coop_platform.extensions import db
from coop_platform.questionnaires.services.authoring import clone, get_questionnaire
from tests.browser.test_journeys import CHROMIUM, IN_CI, sign_in
from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id
from tests.support.questionnaires import act, answer_required, response_id, seeded_questionnaire
from tests.support.revisions import propose, published

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not IN_CI and not (os.path.exists(CHROMIUM) and AXE.exists()),
                       reason="Debian's chromium or axe-core (make browser-tools) is missing"),
]


@pytest.fixture
def phone(server):
    if IN_CI:
        assert AXE.exists(), "CI: axe-core is missing (make browser-tools)"
    import playwright.sync_api as sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        contexts = []

        def open_page(locale: str = "en-GB", width: int = 375):
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          locale=locale)
            contexts.append(context)
            return context.new_page()

        yield open_page
        for context in contexts:
            context.close()
        browser.close()


def check(page, url: str, screen: int = 375, axe: bool = True) -> list[str]:
    """Problems of one page: overflow wider than the screen, serious axe violations."""
    page.goto(url)
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > screen:
        problems.append(f"{url}: {width} px wide on a {screen} px screen")
    if not axe:
        return problems
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
    }""")
    problems += [f"{url}: {v}" for v in found]
    return problems


def seeded(app, logged_in):
    """A document of France, published, shared with all and the Court; one returned."""
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner, title="Procédure de gel des avoirs", share_with_court="y"))
    for client, action in ((owner, "submit"), (moderator, "publish")):
        post_form(client, f"/documents/{doc}/{action}", {"reason": "", "confirmed": "1"},
                  token_path=f"/documents/{doc}")
    draft = uploaded_id(upload(owner, title="Draft guideline"))
    return doc, draft


def test_every_page_fits_a_phone_and_passes_axe(server, phone, app, logged_in, make_user,
                                                runner):
    from urllib.parse import urlparse

    doc, draft = seeded(app, logged_in)
    owner, owner_user = logged_in("focal_point", "FRA")
    _, moderator_user = logged_in("moderator", None)
    revised = published(app, owner_user.id, moderator_user.id, share_with_court=True)
    propose(app, owner_user.id, revised)  # waits for the Secretariat
    secret = uploaded_id(upload(owner, title="Confidential note", classification="confidential"))
    version = owner.get(f"/documents/{secret}").get_data(as_text=True).split(
        "/versions/")[1].split("/")[0]
    invited = runner.invoke(args=["users", "invite", "phone@example.org", "--role",
                                  "focal_point", "--state", "FRA"])
    enrolment = urlparse(invited.output.strip()).path
    qid = seeded_questionnaire(app)
    answer_required(owner, qid)
    act(owner, qid, "submit")
    review = f"/moderation/responses/{response_id(app, 'FRA', qid)}"
    with app.app_context():
        draft_version = clone(None, get_questionnaire(qid)).public_id
        db.session.remove()
    questionnaire_pages = ["/questionnaires/", f"/questionnaires/{qid}/",
                           f"/questionnaires/{qid}/response", f"/questionnaires/{qid}/response/A",
                           f"/questionnaires/{qid}/states/FRA",
                           f"/questionnaires/{qid}/states/FRA/print", "/directory/",
                           f"/questionnaires/{qid}/compare/A.3",
                           f"/questionnaires/{qid}/compare/B.1",
                           f"/questionnaires/{qid}/grid?q=A.3&q=B.1&q=B.2",
                           "/states/FRA", "/states/SEN"]
    roles = {
        "focal_point": (make_user(state="FRA"), ["/", "/documents/", "/documents/new",
                                                 f"/documents/{doc}", f"/documents/{draft}",
                                                 f"/documents/{draft}/edit",
                                                 f"/documents/{draft}/versions/new",
                                                 f"/documents/{doc}/revise",
                                                 f"/documents/{revised}",
                                                 "/auth/account", "/auth/account/password",
                                                 "/notifications/", *questionnaire_pages,
                                                 "/search?q=avoirs", "/search?q=zzqxw",
                                                 "/search?q=gel*+state:FRA&kind=document",
                                                 f"/documents/{secret}/versions/{version}/step-up"]),
        "court": (make_user(role="court", state=None), ["/", "/documents/", "/directory/",
                                                        "/search?q=gel", f"/documents/{revised}",
                                                        "/states/FRA",
                                                        f"/documents/{doc}"]),
        "moderator": (make_user(role="moderator", state=None),
                      ["/", "/moderation/", "/moderation/dashboard", "/audit/", review,
                       f"/questionnaires/{qid}/completion",
                       f"/questionnaires/{qid}/states/FRA", "/documents/?stale=1&sort=confirmed",
                       f"/questionnaires/{qid}/compare/B.1", "/states/FRA",
                       f"/documents/{revised}", f"/documents/{doc}"]),
        "admin": (make_user(role="admin", state=None),
                  ["/admin/users", "/admin/users/invite", "/admin/states",
                   "/questionnaires/manage/", f"/questionnaires/manage/{qid}",
                   f"/questionnaires/manage/{draft_version}/questions/D.4",
                   "/admin/states/FRA"]),
    }
    anonymous = phone()
    problems = [p for path in ("/auth/login", enrolment, "/auth/invitation/" + "x" * 43)
                for p in check(anonymous, server + path)]
    for _role, (user, paths) in roles.items():
        page = phone()
        sign_in(page, server, user)
        problems += [p for path in paths for p in check(page, server + path)]
        # 200 % zoom on a 1280 px screen: a 640 px wide viewport (same session).
        page.set_viewport_size({"width": 640, "height": 800})
        problems += [p for path in paths for p in check(page, server + path, 640, axe=False)]
        assert page.url.endswith(paths[-1]), page.url  # still signed in: the pages were seen
    assert problems == [], "\n".join(problems)


def test_the_french_pages_name_states_and_values_in_french(server, phone, app, logged_in,
                                                            make_user):
    doc, _draft = seeded(app, logged_in)
    user = make_user(state="SEN")
    page = phone()
    sign_in(page, server, user)
    page.get_by_role("button", name="Français").click()
    english = ("Senegal", "Published", "Procedure or guideline", "Restricted",
               "All States Parties", "Freezing and seizure", "English")
    for path in ("/", "/documents/", f"/documents/{doc}", "/notifications/"):
        page.goto(server + path)
        text = page.locator("main").inner_text()
        found = [w for w in english if w in text.replace("Français", "")]
        assert found == [], (path, found)
    page.goto(server + "/")
    assert "Sénégal" in page.locator("main").inner_text()
    page.goto(server + f"/documents/{doc}")
    facts = page.locator("main").inner_text()
    for french in ("Publié", "France", "Procédure ou ligne directrice", "Restreint"):
        assert french in facts, french


def test_searching_from_the_header_finds_and_marks_the_words(server, phone, app, logged_in,
                                                              make_user):
    seeded(app, logged_in)
    page = phone(width=1024)
    sign_in(page, server, make_user(state="SEN"))
    page.get_by_label("Search answers and documents").fill("avoir")
    page.get_by_label("Search answers and documents").press("Enter")
    results = page.locator(".search-results")
    from playwright.sync_api import expect

    expect(results.get_by_role("link", name="Procédure de gel des avoirs")).to_be_visible()
    expect(page.locator(".result-count")).to_have_text("1 result — 0 answers, 1 document")
    # The draft of France is not France's to show to Senegal.
    page.get_by_label("Words").fill("draft guideline")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".result-count")).to_have_text("0 results — 0 answers, 0 documents")
