"""PostgreSQL's index of keyed tokens: what PostgreSQL accepts of a very long text, and the
sealed vocabulary kept in memory as it grows, is rebuilt or is tampered with."""

from __future__ import annotations

import string

import pytest
from sqlalchemy import text

from coop_platform.extensions import db
from coop_platform.search.extraction import run_extractions
from coop_platform.search.keyed import keyed
from coop_platform.search.postgres import vocabulary
from coop_platform.search.postgres.indexing import vector
from coop_platform.search.texts import Buckets
from tests.support import builders


@pytest.fixture
def postgresql(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's own index needs the PostgreSQL database")
    yield
    with app.app_context():
        db.session.execute(text("TRUNCATE search_words"))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def in_context(app, postgresql):
    with app.app_context():
        yield
        db.session.remove()


def made_up_word(n: int) -> str:
    letters = []
    for _ in range(4):
        n, r = divmod(n, 26)
        letters.append(string.ascii_lowercase[r])
    return "zqxwvk" + "".join(letters)


def test_a_very_long_text_is_cut_to_what_postgresql_accepts(in_context):
    """70,000 distinct words are more lexemes than a tsvector holds (1 MiB of them, in
    PostgreSQL's documentation): the vector keeps as many of the first words as fit, and
    PostgreSQL reads it."""
    words = [made_up_word(n) for n in range(70_000)]
    buckets = Buckets()
    buckets.add("de", " ".join(words))  # folded only: one lexeme and position per word
    tsv, kept = vector(buckets)
    assert len(kept) == 70_000
    stored = db.session.execute(text("SELECT CAST(:v AS tsvector)::text"), {"v": tsv}).scalar()
    assert f"'{keyed('text', words[0])[:12]}':" in stored
    assert not [w for w in words[:1000] if w in stored]
    lexemes = db.session.execute(text("SELECT length(CAST(:v AS tsvector))"),
                                 {"v": tsv}).scalar()
    # Each of the words seen once: 12 characters of token, one position and their count
    # (2 bytes each), within PostgreSQL's 1 MiB - 1.
    assert lexemes == (2**20 - 1) // (12 + 2 + 2)


def _sealed(session) -> dict[str, str]:
    return dict(session.execute(text("SELECT token, sealed_word FROM search_words")).all())


def test_the_vocabulary_is_read_again_as_it_grows_is_rebuilt_or_altered(in_context):
    session = db.session()
    vocabulary.add(session, {"freezing", "tracing"})
    session.commit()
    assert vocabulary.words(session) == ["freezing", "tracing"]
    vocabulary.add(session, {"seizure", "freezing"})
    session.commit()
    assert vocabulary.words(session) == ["freezing", "seizure", "tracing"]
    assert len(_sealed(session)) == 3
    assert not any(w in "".join(_sealed(session).values()) for w in ("freez", "seiz", "trac"))
    # A rebuild empties the table and writes it again.
    session.execute(text("TRUNCATE search_words"))
    vocabulary.add(session, {"confiscation", "assets", "orders"})
    session.commit()
    assert vocabulary.words(session) == ["assets", "confiscation", "orders"]
    # Two rows' sealed words swapped: each is bound to its own token, so neither opens;
    # the others are still offered.
    sealed = _sealed(session)
    first, second = sorted(sealed)[:2]
    session.execute(text("UPDATE search_words SET sealed_word = :w WHERE token = :t"),
                    [{"w": sealed[second], "t": first}, {"w": sealed[first], "t": second}])
    session.execute(text("TRUNCATE search_words"))  # read all again, as a new process would
    session.execute(text("INSERT INTO search_words (token, sealed_word) VALUES (:t, :w)"),
                    [{"t": first, "w": sealed[second]}, {"t": second, "w": sealed[first]},
                     *({"t": t, "w": w} for t, w in sealed.items() if t not in (first, second))])
    session.commit()
    assert len(vocabulary.words(session)) == 1


def test_a_prefix_of_too_many_words_searches_the_first_ones_and_says_so(
        app, postgresql, logged_in):
    """A prefix stands for the vocabulary's words that it starts; past 2,000 of them the
    reader is told that only the first ones were searched."""
    client, owner = logged_in("focal_point", "FRA")
    words = [made_up_word(n) for n in range(2_001)]  # zqxwvkaaaa … in order
    builders.document(app, owner.id, status="draft", text=" ".join(words[1:]),
                      title="Procedure on many words")
    builders.document(app, owner.id, status="draft", text=words[0], title="Procedure on one")
    with app.app_context():
        assert run_extractions(limit=10) == 2
        db.session.remove()
    page = client.get("/search", query_string={"q": "zqxwvk*"}).get_data(as_text=True)
    assert "only the first 2,000 of them were searched" in page
    assert "Procedure on one" in page  # its word sorts first
    narrow = client.get("/search", query_string={"q": "zqxwvkaa*"}).get_data(as_text=True)
    assert "were searched" not in narrow
    assert "Procedure on many words" in narrow


def test_an_index_emptied_beside_content_is_reported_until_reindexed(
        app, postgresql, logged_in, runner):
    """After the upgrade that keys the index (it empties it), /healthz and `search status`
    say that searches find nothing until `search reindex` has run."""
    client, owner = logged_in("focal_point", "FRA")
    builders.document(app, owner.id, status="published", title="Procedure on freezing")
    assert client.get("/healthz").get_json()["search"]["status"] == "ok"
    with app.app_context():
        db.session.execute(text("DELETE FROM search_texts"))
        db.session.commit()
    search = client.get("/healthz").get_json()["search"]
    assert search["status"] == "degraded"
    assert search["reindex_needed"] is True
    assert "search reindex" in runner.invoke(args=["search", "status"]).output
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    search = client.get("/healthz").get_json()["search"]
    assert search["status"] == "ok"
    assert "reindex_needed" not in search
    assert "Procedure on <mark>freezing</mark>" in client.get(
        "/search", query_string={"q": "freezing"}).get_data(as_text=True)
