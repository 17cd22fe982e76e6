"""What the busiest pages ask the database, counted on real requests: each page reads what
it shows once. Recording an audit event commits, and a commit expires every object already
loaded: a page that recorded before it rendered read everything a second time (the document
page 19 statements instead of 13, the search page one per attribute of each result)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.extensions import db
from tests.support.documents import upload, uploaded_id


@contextmanager
def statements(app):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def reads_of(seen: list[str], table: str) -> int:
    """Statements that load rows of `table` as the page's main object (not a count)."""
    return sum(s.startswith(f"SELECT {table}.") for s in seen)


def viewed(app, public_id: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "document.viewed", AuditEvent.object_id == public_id))
        db.session.remove()
        return count


def test_the_document_page_reads_the_document_once_and_still_records_the_view(app, logged_in):
    client, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(client))
    with statements(app) as seen:
        page = client.get(f"/documents/{doc}")
    assert page.status_code == 200
    assert reads_of(seen, "documents") == 1
    assert reads_of(seen, "document_versions") == 1
    assert reads_of(seen, "users") == 1  # the session's user, not again after the record
    assert viewed(app, doc) == 1
    # The page says whether the file's text is searched; it does not fetch that text.
    assert not [s for s in seen if "document_texts.sealed_text" in s]


def test_the_document_list_reads_no_collection_it_does_not_show(app, logged_in):
    client, _ = logged_in("focal_point", "FRA")
    for n in range(3):
        uploaded_id(upload(client, title=f"Procedure number {n}"))
    with statements(app) as seen:
        page = client.get("/documents/")
    assert page.status_code == 200
    assert "Procedure number 2" in page.get_data(as_text=True)
    assert reads_of(seen, "documents") == 1
    for table in ("document_versions", "document_topics", "document_audience_states",
                  "document_sharing_requests"):
        assert reads_of(seen, table) == 0, table
    # The State filter's 125 names: one query, plain rows.
    assert sum(s.startswith("SELECT states.id, states.iso3, states.name,") for s in seen) == 1


def test_the_search_page_reads_its_results_once_after_recording_the_search(app, logged_in):
    client, _ = logged_in("focal_point", "FRA")
    uploaded_id(upload(client, title="Quenelle procedure for sequestration"))
    with statements(app) as seen:
        page = client.get("/search?q=quenelle")
    assert page.status_code == 200
    assert "<mark>Quenelle</mark> procedure" in page.get_data(as_text=True)
    assert reads_of(seen, "documents") == 1
    # No row of the page's results is read after the audit record's commit, one by one.
    record = next(i for i, s in enumerate(seen) if s.startswith("INSERT INTO audit_events"))
    assert reads_of(seen[:record], "documents") == 0
