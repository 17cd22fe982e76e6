"""E-mail texts are templates whose links are built from the routes: each kind's link, on the
configured public address (a path prefix included), outside any request (the mail sender and
the reminder worker have none). The expected paths are written here from the pages' addresses,
not read from the product."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from coop_platform import ROOT
from coop_platform.mail import texts

BASE = "https://cooperation.example.org/portal/"
DOCUMENT = SimpleNamespace(public_id="7d0c1e4a-0000-4000-8000-000000000001")
# kind -> (the template's context beside the document, the link expected after the base URL)
KINDS = {
    "submission": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "decision": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "shared": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "sharing_request": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "sharing_decision": ({"params": {"action": "accept"}},
                         "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "response_submission": ({}, "notifications/"),
    "response_decision": ({}, "notifications/"),
    "answer_changed": ({"params": {"questionnaire": "q-1", "state": "SEN", "keys": ["B.5"]}},
                       "questionnaires/q-1/states/SEN"),
    "answers_reminder": ({"params": {"questionnaire": "q-1", "count": 2}},
                         "questionnaires/q-1/response"),
    "recovery_code_used": ({}, "notifications/"),
    "revision_submission": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "revision_decision": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "document_revised": ({}, "documents/7d0c1e4a-0000-4000-8000-000000000001"),
    "documents_reminder": ({"params": {"state": "SEN", "count": 3}},
                           "documents/?state=SEN&sort=confirmed"),
}


def test_every_mail_template_is_in_the_table():
    on_disk = {p.stem for p in (ROOT / "templates" / "mail").glob("*.txt")
               if not p.name.startswith("_")}
    assert on_disk == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_links_to_its_page_on_the_public_address(app, kind):
    extra, path = KINDS[kind]
    context = {"document": DOCUMENT, "title": None, "state": "France", "decision": "published",
               "response_decision": "accepted", "params": {}, **extra}
    previous = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = BASE
    try:
        with app.app_context(), force_locale("fr"):
            subject, body = texts.render(kind, **context)
    finally:
        app.config["PUBLIC_BASE_URL"] = previous
    assert subject.startswith("Plateforme sécurisée sur la coopération")
    lines = body.rstrip("\n").split("\n")
    assert lines[-1] == BASE + path
    assert lines[-2] == "Ouvrez la plateforme pour le consulter\u00a0:"
    assert lines[-3] == ""
    assert lines[0].strip()
    assert "{" not in body
    assert "%(" not in body


def test_a_confidential_title_is_never_in_a_mail(app):
    """The caller passes no title for a confidential document; the template says so plainly."""
    with app.app_context():
        _subject, body = texts.render("submission", document=DOCUMENT, title=None,
                                      state="France", params={})
    assert body.startswith("France submitted a document for moderation.")


def test_mail_templates_are_plain_text(app):
    """Not autoescaped: a title with an ampersand reads as written (plain text, never HTML)."""
    with app.app_context():
        _subject, body = texts.render("shared", document=DOCUMENT, title="Seizure & freezing",
                                      state="France", params={})
    assert "“Seizure & freezing”" in body
    assert Path(ROOT / "templates" / "mail" / "shared.txt").suffix == ".txt"
