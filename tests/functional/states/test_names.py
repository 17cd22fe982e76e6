"""State names in the interface's language: the official UN short names in French (and
Spanish in the data), never the English name in a French page."""

from __future__ import annotations

from tests.conftest import post_form
from tests.support.documents import upload, uploaded_id

# Written out from the UN terminology, not read from the product's data file.
FRENCH = {"JPN": ("Japan", "Japon"), "DEU": ("Germany", "Allemagne"),
          "SEN": ("Senegal", "Sénégal")}


def in_french(client) -> None:
    assert post_form(client, "/auth/language", {"lang": "fr", "next": "/"},
                     token_path="/").status_code == 302


def test_french_pages_name_states_in_french(app, logged_in):
    owner, _ = logged_in("focal_point", "JPN")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner, audience="selected_states", states=["SEN", "DEU"]))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    for client in (owner, moderator):
        in_french(client)
    pages = [owner.get("/").get_data(as_text=True),
             owner.get(f"/documents/{doc}").get_data(as_text=True),
             moderator.get("/moderation/").get_data(as_text=True),
             moderator.get("/notifications/").get_data(as_text=True)]
    text = "\n".join(pages)
    japan, germany, senegal = (FRENCH[c][1] for c in ("JPN", "DEU", "SEN"))
    for index in (0, 2, 3):  # home, queue, notifications
        assert japan in pages[index], index
    assert senegal in pages[1]
    assert germany in pages[1]
    for english, _french in FRENCH.values():
        assert english not in text, english


def test_the_state_picker_sorts_in_the_interfaces_language(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    in_french(owner)
    page = owner.get("/documents/new").get_data(as_text=True)
    # Allemagne (Germany) comes before Autriche (Austria) in French; after it in English.
    assert page.index(">Allemagne<") < page.index(">Autriche<")


def test_dates_are_written_one_way_per_language(app, logged_in):
    from freezegun import freeze_time

    with freeze_time("2026-11-23 10:05:00"):
        owner, _ = logged_in("focal_point", "FRA")
        doc = uploaded_id(upload(owner))
        english = owner.get("/documents/").get_data(as_text=True)
        detail = owner.get(f"/documents/{doc}").get_data(as_text=True)
        in_french(owner)
        french = owner.get("/documents/").get_data(as_text=True)
    assert "Nov 23, 2026 10:05" in english
    assert "Nov 23, 2026 10:05" in detail  # versions and history: the same format
    assert "2026-11-23" not in english + detail
    assert "23 nov. 2026 10:05" in french
