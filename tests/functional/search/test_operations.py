"""Running the index: rebuild while searches go on, self-repair of a broken index, what
/healthz says, and the index's files kept from other accounts."""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading

import pytest
from sqlalchemy import insert, text

from coop_platform.documents.services.documents import DocumentInput, create_document
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.search.models import SearchChange
from coop_platform.search.whoosh import index as whoosh_index
from tests.support.builders import person

COUNT = re.compile(r'class="result-count"[^>]*>(\d+) results?')


def _found(client, query: str) -> int:
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200, page.status_code
    return int(COUNT.search(page.get_data(as_text=True)).group(1))


def _documents(app, email: str, count: int) -> None:
    with app.app_context():
        owner = person(email)
        for i in range(count):
            sink = UploadSink()
            sink(filename="n.txt")
            sink.write(b"text")
            create_document(owner, DocumentInput(title=f"Rebuildword number{i}",
                                                 topics=["freezing"]), sink)
        db.session.remove()


def test_reindex_swaps_a_new_index_in_while_searches_go_on(app, logged_in, runner,
                                                           search_backend):
    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 30)
    assert _found(client, "rebuildword") == 30
    counts, errors, stop = [], [], threading.Event()
    reader, _ = logged_in("focal_point", "FRA")

    def keep_searching():
        try:
            while not stop.is_set():
                counts.append(_found(reader, "rebuildword"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    searching = threading.Thread(target=keep_searching)
    searching.start()
    try:
        for _ in range(3):
            result = runner.invoke(args=["search", "reindex"])
            assert result.exit_code == 0, result.output
            assert f"{search_backend}:" in result.output
    finally:
        stop.set()
        searching.join(30)
    assert errors == []
    assert counts
    assert set(counts) == {30}  # never an empty or half-built index
    assert _found(client, "rebuildword") == 30


@pytest.fixture
def embedded(app):
    """These concern the Whoosh index's files, whatever the database."""
    app.config["SEARCH_BACKEND"] = "whoosh"
    yield
    app.config["SEARCH_BACKEND"] = ""


def test_a_missing_or_corrupt_embedded_index_rebuilds_itself(app, logged_in, embedded):
    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 3)
    assert _found(client, "rebuildword") == 3
    base = whoosh_index.root(app)
    current = (base / "CURRENT").read_text().strip()
    for path in (base / current).iterdir():
        path.write_bytes(b"\x00garbage")
    whoosh_index.close_all()  # as a newly started worker would
    assert _found(client, "rebuildword") == 3
    shutil.rmtree(base)
    whoosh_index.close_all()
    assert _found(client, "rebuildword") == 3


def test_the_embedded_index_is_for_its_owner_only(app, logged_in, embedded):
    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 1)
    assert _found(client, "rebuildword") == 1
    base = whoosh_index.root(app)
    assert stat.S_IMODE(os.stat(base).st_mode) == 0o700
    current = (base / "CURRENT").read_text().strip()
    assert stat.S_IMODE(os.stat(base / current).st_mode) == 0o700


def test_healthz_reports_the_index_and_the_oldest_waiting_change(app, client, embedded):
    report = client.get("/healthz").get_json()["search"]
    assert (report["backend"], report["pending_changes"]) == ("whoosh", 0)
    assert report["oldest_pending_seconds"] is None
    with app.app_context():
        db.session.execute(insert(SearchChange), [{"kind": "document", "target_id": 1}])
        db.session.commit()
        db.session.remove()
    report = client.get("/healthz").get_json()["search"]
    assert report["pending_changes"] == 1
    assert report["oldest_pending_seconds"] >= 0


def test_a_search_past_its_time_limit_says_so(app, logged_in, embedded):
    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 2)
    assert _found(client, "rebuildword") == 2
    previous, app.config["SEARCH_QUERY_SECONDS"] = app.config["SEARCH_QUERY_SECONDS"], 0
    try:
        page = client.get("/search", query_string={"q": "rebuildword"})
    finally:
        app.config["SEARCH_QUERY_SECONDS"] = previous
    assert page.status_code == 200
    assert "The search took too long and was stopped" in page.get_data(as_text=True)


def _stored(app, backend: str) -> bytes:
    """What the index keeps at rest: the Whoosh folder's files, or PostgreSQL's tables."""
    with app.app_context():
        if backend == "whoosh":
            folder = whoosh_index.root(app)
            return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        rows = db.session.execute(text(
            "SELECT tsv::text FROM search_texts UNION ALL "
            "SELECT token || ' ' || sealed_word FROM search_words")).scalars().all()
        db.session.remove()
        return "\n".join(rows).encode()


def test_the_index_holds_keyed_tokens_and_a_new_index_key_rebuilds_it(
        app, logged_in, runner, search_backend):
    """Words, prefixes, phrases and suggestions work from keyed tokens; rotating the index
    key rebuilds the index under the new one, and searches find the same entries."""
    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 3)
    assert _found(client, "rebuildword") == 3
    assert _found(client, "rebuildw*") == 3
    assert _found(client, '"rebuildword number1"') == 1
    assert _found(client, '"number1 rebuildword"') == 0  # positions are kept
    stored = _stored(app, search_backend)
    assert len(stored) > 200, "the index was written"
    assert b"rebuildword" not in stored
    assert b"rebuil" not in stored
    assert b"number1" not in stored
    rotated = runner.invoke(args=["keys", "rotate", "index"])
    assert rotated.exit_code == 0, rotated.output
    assert "search index rebuilt under the new key: " in rotated.output
    assert _found(client, "rebuildword") == 3
    assert _found(client, "rebuildw*") == 3
    suggested = client.get("/search", query_string={"q": "rebuildwrd"}).get_data(as_text=True)
    assert "rebuildword" in suggested


def test_an_index_built_before_keyed_tokens_is_rebuilt_not_written_to(app, logged_in,
                                                                      embedded):
    """An index left by an earlier version holds words in clear and another schema: it is
    replaced by a keyed one on first use, never added to."""
    from whoosh import index as whoosh_files
    from whoosh.fields import ID, TEXT, Schema

    client, user = logged_in("focal_point", "FRA")
    _documents(app, user.email, 2)
    base = whoosh_index.root(app)
    whoosh_index.close_all()
    old = base / "gen-old"
    old.mkdir(mode=0o700)
    writer = whoosh_files.create_in(str(old), Schema(key=ID(stored=True), all=TEXT)).writer()
    writer.add_document(key="a1.en", all="rebuildword in clear")
    writer.commit()
    (base / "CURRENT").write_text("gen-old")
    assert _found(client, "rebuildword") == 2
    assert (base / "CURRENT").read_text().strip() != "gen-old"
