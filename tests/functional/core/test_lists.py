"""Lists: labels with their controls, a way to clear filters, the same States in every State
filter (withdrawn ones marked), no filter that cannot apply."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop_platform.extensions import db
from coop_platform.states.models import State

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
