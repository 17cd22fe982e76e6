"""Lists: labels with their controls, a way to clear filters, the same States in every State
filter (withdrawn ones marked), no filter that cannot apply."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop_platform.extensions import db
from coop_platform.states.models import State
from tests.support import builders

FILTERED_LISTS = [("focal_point", "/documents/"), ("moderator", "/moderation/"),
                  ("moderator", "/audit/"), ("admin", "/admin/users")]


@pytest.fixture
def withdrawn_state(app, states):
    with app.app_context():
        hungary = db.session.scalars(select(State).where(State.iso3 == "HUN")).one()
        hungary.active = False
        db.session.commit()
        db.session.remove()


def state_filter(page: str) -> str:
    return page.split('<select id="state" name="state">')[1].split("</select>")[0]


@pytest.mark.parametrize(("role", "path"), FILTERED_LISTS)
def test_every_state_filter_lists_every_state_with_the_withdrawn_marked(
        app, logged_in, withdrawn_state, role, path):
    client, _ = logged_in(role)
    options = state_filter(client.get(path).get_data(as_text=True))
    assert options.count("<option") == 125 + 1  # every State, and "All"
    assert re.search(r">Hungary — withdrawn</option>", options)
    assert ">France</option>" in options


@pytest.mark.parametrize(("role", "path"), FILTERED_LISTS)
def test_labels_stay_with_their_controls_and_filters_can_be_cleared(logged_in, role, path):
    client, _ = logged_in(role)
    page = client.get(path).get_data(as_text=True)
    assert '<div class="filter"><label for="state">' in page
    assert "Clear filters" not in page
    filtered = client.get(path, query_string={"state": "FRA" if "audit" not in path else "1"})
    assert filtered.status_code == 200
    assert f'<a class="clear-filters" href="{path}">Clear filters</a>' in filtered.get_data(
        as_text=True)


def test_the_court_is_not_offered_a_status_filter(logged_in):
    court, _ = logged_in("court", None)
    focal, _ = logged_in("focal_point", "FRA")
    assert 'id="status"' not in court.get("/documents/").get_data(as_text=True)
    assert 'id="status"' in focal.get("/documents/").get_data(as_text=True)


def test_the_user_list_filters_by_state_from_a_list(logged_in, make_user):
    admin, _ = logged_in("admin", None)
    sen = make_user(state="SEN")
    fra = make_user(state="FRA")
    page = admin.get("/admin/users", query_string={"state": "SEN"}).get_data(as_text=True)
    assert sen.email in page
    assert fra.email not in page
    assert '<option value="SEN" selected>' in page


def test_a_list_counts_what_the_reader_may_see_on_every_page(app, logged_in):
    """The page and its total come from one query (a window count): the total is what the
    reader may see, filters applied, on a full page, the last page and past the end."""
    client, user = logged_in("focal_point", "FRA")
    _, senegal = logged_in("focal_point", "SEN")
    builders.document(app, senegal.id, status="draft", title="Senegal's draft")
    for number in range(25):
        builders.document(app, user.id, status="published", title=f"Procedure {number}")
    rows = re.compile(r"<tr><td><a href=\"/documents/")
    full = client.get("/documents/").get_data(as_text=True)
    assert len(rows.findall(full)) == 25
    assert "Page 1 of" not in full
    for number in range(2):
        builders.document(app, user.id, status="published", title=f"Guideline {number}")
    first = client.get("/documents/").get_data(as_text=True)
    assert len(rows.findall(first)) == 25
    assert "Page 1 of 2" in first
    last = client.get("/documents/", query_string={"page": 2}).get_data(as_text=True)
    assert len(rows.findall(last)) == 2
    assert "Page 2 of 2" in last
    past = client.get("/documents/", query_string={"page": 3})
    assert past.status_code == 200
    assert "Page 3 of 2" in past.get_data(as_text=True)
    assert not rows.findall(past.get_data(as_text=True))
    filtered = client.get("/documents/", query_string={"state": "FRA", "page": 2})
    assert "Page 2 of 2" in filtered.get_data(as_text=True)


def test_documents_sort_by_title_alphabetically_though_titles_are_sealed(app, logged_in):
    client, user = logged_in("focal_point", "FRA")
    _, senegal = logged_in("focal_point", "SEN")
    builders.document(app, senegal.id, status="draft", title="Aaa: Senegal's draft")
    for title in ("Zèbre procedure", "avocat general", "Étude des avoirs", "Banque centrale"):
        builders.document(app, user.id, status="published", title=title)
    page = client.get("/documents/", query_string={"sort": "title"}).get_data(as_text=True)
    shown = re.findall(r'<tr><td><a href="/documents/[^"]+">([^<]+)</a>', page)
    # Alphabetical, accents and case aside; another State's draft is not the reader's.
    assert shown == ["avocat general", "Banque centrale", "Étude des avoirs", "Zèbre procedure"]
    second = client.get("/documents/", query_string={"sort": "title", "page": 2})
    assert second.status_code == 200
    assert not re.findall(r'<tr><td><a href="/documents/', second.get_data(as_text=True))
