"""Many people at once: the real app in a threaded HTTP server, on SQLite as on PostgreSQL.

Every read of a document page and every download writes an audit record, so readers are
writers too: the chain head is contended by every request. Nothing may answer 5xx, the chain
must stay gapless and verify, and every upload must land whole.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.audit.services import record, verify
from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.extensions import db
from tests.conftest import login
from tests.support import files
from tests.support.documents import upload, uploaded_id
from tests.support.http import HttpUser

CLIENTS = 16
ROUNDS = 3


def run_together(workers):
    barrier = threading.Barrier(len(workers))
    outcomes: list = [None] * len(workers)

    def run(i, work):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = work()
        except Exception as exc:  # reported by the assertion below
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return outcomes


def assert_chain_gapless(app) -> int:
    with app.app_context():
        seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        result = verify()
        db.session.remove()
    assert seqs == list(range(1, len(seqs) + 1))
    assert result.ok, result
    return len(seqs)


def test_sixteen_people_reading_downloading_and_uploading_at_once(app, live_server, make_user):
    owner = make_user(state="FRA")
    client = app.test_client()
    assert login(client, app, owner).status_code == 302
    public_id = uploaded_id(upload(client))
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    version_id = page.split("/versions/")[1].split("/")[0]
    people = [HttpUser(live_server, make_user(state="FRA")).sign_in() for _ in range(CLIENTS)]
    content = files.pdf()

    def session_of(person: HttpUser, n: int):
        def work():
            statuses = []
            for i in range(ROUNDS):
                statuses.append(person.get(f"/documents/{public_id}").status_code)
                download = person.get(f"/documents/{public_id}/versions/{version_id}/download")
                statuses.append(download.status_code)
                assert download.content == content
                token = person.token("/documents/new")
                uploaded = person.http.post(
                    live_server + "/documents/new", allow_redirects=False, timeout=60,
                    data={"csrf_token": token, "title": f"Procedure {n}-{i}",
                          "document_type": "procedure", "topics": ["freezing"],
                          "language": "en", "classification": "restricted",
                          "audience": "all_states"},
                    files={"file": (f"procedure-{n}-{i}.pdf", content, "application/pdf")})
                statuses.append(uploaded.status_code)
            return statuses

        return work

    outcomes = run_together([session_of(p, n) for n, p in enumerate(people)])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors[:3]
    statuses = [s for o in outcomes for s in o]
    assert statuses.count(200) == 2 * CLIENTS * ROUNDS, sorted(set(statuses))
    assert statuses.count(303) == CLIENTS * ROUNDS, sorted(set(statuses))

    assert_chain_gapless(app)
    with app.app_context():
        def actions(name):
            return db.session.scalar(select(func.count(AuditEvent.id))
                                     .where(AuditEvent.action == name))

        assert actions("document.viewed") >= CLIENTS * ROUNDS
        assert actions("document.downloaded") == CLIENTS * ROUNDS
        assert actions("document.uploaded") == CLIENTS * ROUNDS + 1
        assert db.session.scalar(select(func.count(Document.id))) == CLIENTS * ROUNDS + 1
        assert db.session.scalar(select(func.count(DocumentVersion.id))) == CLIENTS * ROUNDS + 1
        db.session.remove()


def test_audit_appends_from_many_threads_and_connections_stay_gapless(app, states):
    """The head lock alone keeps sequence numbers unique and gapless: each thread has its own
    connection and transaction, and they all append at once."""
    per_thread = 10

    def appender(n: int):
        def work():
            with app.app_context():
                try:
                    for i in range(per_thread):
                        record("test.append", details={"thread": n, "i": i})
                        db.session.commit()
                finally:
                    db.session.remove()
            return True

        return work

    outcomes = run_together([appender(n) for n in range(CLIENTS)])
    assert outcomes == [True] * CLIENTS, [o for o in outcomes if o is not True][:3]
    total = assert_chain_gapless(app)
    assert total == CLIENTS * per_thread + 1  # and the States load
