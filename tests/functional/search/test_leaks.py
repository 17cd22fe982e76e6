"""Nothing hidden leaks through search — results, counts, page totals, facets, snippets or
"did you mean" — and everything a reader may see is found (so the test cannot pass by showing
nothing). Generated from the table in tests/support/search.py, on each backend."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from coop_platform.search.services import Request, search
from tests.support.search import (
    ANSWERS,
    DOCUMENTS,
    IDENTITIES,
    build_world,
    expected_count,
    expected_states,
    expected_words,
    may_find,
)

CANARY = re.compile(r"canary[a-z]+")
COUNT = re.compile(r'class="result-count"[^>]*>(\d+) results?')
STATE_FACET = re.compile(r"[?&;]state=([A-Z]{3})")
SUGGESTION = re.compile(r'class="suggestion">.*?</p>', re.S)


@pytest.fixture
def world(app, logged_in, runner, search_backend):
    return build_world(app, logged_in, runner)


def _page(client, query: str, **params) -> str:
    page = client.get("/search", query_string={"q": query, **params})
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def _results(body: str) -> str:
    """The page below the search form (which echoes the query)."""
    start = body.index('class="result-count"')
    return body[start:body.index("</main>")]


def _count(body: str) -> int:
    match = COUNT.search(body)
    assert match, "the page states how many results it found"
    return int(match.group(1))


def _every_page(client, query: str) -> list[str]:
    pages = [_page(client, query)]
    while 'rel="next"' in pages[-1] and len(pages) < 10:
        pages.append(_page(client, query, page=len(pages) + 1))
    return pages


def test_a_prefix_over_every_canary_shows_each_reader_exactly_theirs(world):
    for identity in IDENTITIES:
        pages = _every_page(world[identity], "canary*")
        words = {w for body in pages for w in CANARY.findall(body)}
        assert words == expected_words(identity), identity
        assert {_count(body) for body in pages} == {expected_count(identity)}, identity
        assert set(STATE_FACET.findall(pages[0])) == expected_states(identity), identity
        # The pages' rows add up to the stated total.
        rows = sum(body.count('<li class="hit">') for body in pages)
        assert rows == expected_count(identity), identity


def test_each_canary_alone_is_found_only_by_its_readers(world):
    table = [(owner, word, audience) for owner, word, audience in ANSWERS.values()] + \
            [(owner, word, audience) for owner, word, _w, _h, audience in DOCUMENTS.values()]
    leaks, misses = [], []
    for identity in IDENTITIES:
        for owner, word, audience in table:
            body = _page(world[identity], word)
            found = word in CANARY.findall(_results(body))
            if may_find(identity, owner, audience):
                if not found or _count(body) == 0:
                    misses.append((identity, word))
            elif found or _count(body) != 0 or 'class="facets"' in body:
                leaks.append((identity, word))
    assert leaks == []
    assert misses == []


def test_did_you_mean_offers_only_words_the_reader_may_find(world):
    table = [(owner, word, audience) for owner, word, audience in ANSWERS.values()] + \
            [(owner, word, audience) for owner, word, _w, _h, audience in DOCUMENTS.values()]
    leaks, misses = [], []
    for identity in ("FRA", "SEN", "KEN", "secretariat", "court"):
        for owner, word, audience in table:
            body = _page(world[identity], word[:-1] + "x")  # one letter wrong
            offered = SUGGESTION.search(body)
            offered = offered.group(0) if offered else ""
            if may_find(identity, owner, audience):
                if word not in offered:
                    misses.append((identity, word))
            elif word in offered or word in _results(body):
                leaks.append((identity, word))
    assert leaks == []
    assert misses == []


def test_facet_filters_and_field_queries_count_only_what_the_reader_may_see(world):
    """A hidden State's content is not counted under its State, its group, or anywhere."""
    hidden_everywhere = {"DEU": "draft", "ITA": "submitted", "ESP": "returned"}
    for identity in ("SEN", "KEN", "court"):
        for iso3 in hidden_everywhere:
            assert _count(_page(world[identity], f"state:{iso3}")) == 0, (identity, iso3)
            assert _count(_page(world[identity], "", state=iso3)) == 0, (identity, iso3)
            body = _page(world[identity], "Grounds")
            assert f"state={iso3}" not in body, (identity, iso3)
    # The Secretariat counts the submitted and returned ones, not the draft.
    assert _count(_page(world["secretariat"], "state:DEU")) == 0
    assert _count(_page(world["secretariat"], "state:ITA")) > 0
    assert _count(_page(world["secretariat"], "state:AUT")) > 0


def test_a_reader_without_principals_gets_nothing(app, world):
    with app.test_request_context():
        for nobody in (SimpleNamespace(is_authenticated=True, role="auditor", state_id=None,
                                       id=None, email="x"),
                       SimpleNamespace(is_authenticated=True, role="focal_point",
                                       state_id=None, id=None, email="x")):
            outcome = search(nobody, Request(text="canary*"))
            assert outcome.found.total == 0
            assert outcome.results == []
        moderator = SimpleNamespace(is_authenticated=True, role="moderator", state_id=None,
                                    id=None, email="x")
        assert search(moderator, Request(text="canary*")).found.total > 0
