"""Several processes save, decide and search at once; afterwards the index holds exactly what
a fresh rebuild from the database holds (ids, revisions and, for Whoosh, who may see them)."""

from __future__ import annotations

import multiprocessing

from coop_platform.documents.models import Document
from coop_platform.documents.services.documents import (
    DocumentInput,
    create_document,
    transition,
)
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.search import backends
from coop_platform.search.whoosh import index as whoosh_index
from tests.support.builders import person
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)

SAVERS = ("BEL", "NLD", "PRT", "ESP")
ROUNDS = 6


def _in_child(app, work) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's connections
    work()


def test_processes_saving_and_searching_leave_the_index_equal_to_a_rebuild(
        app, logged_in, search_backend):
    qid = seeded_questionnaire(app)
    owners = {iso3: logged_in("focal_point", iso3)[0] for iso3 in SAVERS}
    reader, _ = logged_in("focal_point", "SEN")
    moderator, moderator_user = logged_in("moderator", None)
    france, fra = logged_in("focal_point", "FRA")
    for client in [*owners.values(), france]:
        answer_required(client, qid)
    assert act(france, qid, "submit").status_code == 303
    with app.app_context():
        owner = person(fra.email)
        documents = []
        for i in range(4):
            sink = UploadSink()
            sink(filename="n.txt")
            sink.write(b"text")
            document = create_document(owner, DocumentInput(title=f"Racing document {i}",
                                                            topics=["freezing"]),
                                       sink)
            transition(owner, document, "submit")
            documents.append(document.id)
        db.session.remove()

    def saver(iso3):
        def run():
            for i in range(ROUNDS):
                page = save(owners[iso3], qid, "B", {"B.5.value": f"Grounds round{i}."})
                assert page.status_code == 303, page.status_code
                assert reader.get("/search?q=grounds").status_code == 200
        return run

    def decider():
        assert decide(moderator, response_id(app, "FRA", qid), "accept").status_code == 303
        with app.app_context():
            who = person(moderator_user.email)
            for doc_id in documents:
                transition(who, db.session.get(Document, doc_id), "publish")
            db.session.remove()

    def searcher():
        for _ in range(ROUNDS * 2):
            assert reader.get("/search?q=racing OR grounds").status_code == 200

    forked = multiprocessing.get_context("fork")
    workers = [forked.Process(target=_in_child, args=(app, w))
               for w in [saver(s) for s in SAVERS] + [decider, searcher]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * len(workers)

    with app.app_context():
        engine = backends.backend(app)
        if search_backend == "whoosh":
            engine.apply_pending(app, lock_timeout=10)  # what the background worker does
            assert whoosh_index.pending(app)[0] == 0
        before = engine.snapshot(app)
        db.session.commit()
        engine.rebuild(app, wait=True)
        after = engine.snapshot(app)
        db.session.remove()
    assert before == after
    # The last save of every State is what its own focal point finds.
    for iso3, client in owners.items():
        page = client.get(f"/search?q=round{ROUNDS - 1}").get_data(as_text=True)
        assert "1 result" in page, iso3
