"""The stolen disk: a copy of the database (SQLite's file and its WAL, or a pg_dump, with
PostgreSQL's own search index in it), of the document files, of the embedded search index and
of a backup, read without keys/, shows no word a person wrote or typed — while every reader
who could read those words before still does, on the pages and through search.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from coop_platform.auth.services import invitations
from coop_platform.documents.models import Document
from coop_platform.documents.services import revisions
from coop_platform.documents.services.documents import add_version, transition
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.search import backends
from coop_platform.search.extraction import run_extractions
from coop_platform.search.whoosh import index as whoosh_index
from tests.conftest import post_form
from tests.functional.admin.test_backup import back_up, make_keeper
from tests.support import builders
from tests.support.questionnaires import seeded_questionnaire

# Where each canary is written, and the canary: a word no fixture, seed or translation holds.
CANARIES = {
    "answer text": "zanzibarquill",
    "answer remarks": "yellowtapir",
    "contact authority": "quasarministry",
    "contact e-mail": "emberfinch",
    "contact phone": "7788 4411 9",
    "document title": "marzipanvault",
    "document summary": "obsidianheron",
    "document file text": "tamarindsluice",
    "version note": "glacierwren",
    "return reason": "lanternmoth",
    "response return comment": "cobaltplover",
    "search query": "saffronkiln",
    "display name": "nightjarperceval",
    "invitation e-mail": "quokkamail",
    "revision title": "wombatlagoon",
    "revision summary": "harpsichordfen",
    "revision note": "thistlemarmot",
    "revision file text": "cardamomweir",
    "revision return reason": "ivorybittern",
}


def spellings(canary: str) -> list[bytes]:
    """The forms a thief would look for: UTF-8, UTF-16, lower and upper case, its first eight
    letters (what a stemmer or a prefix index keeps of these made-up words), base64 (at each
    of its three alignments)."""
    forms = [canary, canary.lower(), canary.upper(), canary[:8]]
    found = [f.encode("utf-8") for f in forms] + [f.encode("utf-16-le") for f in forms]
    raw = canary.encode("utf-8")
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)[4 if shift else 0:-4]
        found.append(encoded)
    return found


def leaks(data: bytes) -> list[str]:
    return [where for where, canary in CANARIES.items()
            if any(form in data for form in spellings(canary))]


def write_every_canary(app, logged_in, monkeypatch) -> None:
    client, owner = logged_in("focal_point", "FRA")
    moderator_client, moderator = logged_in("moderator", None)
    c = CANARIES
    qid = seeded_questionnaire(app)
    builders.save_answers(app, owner.id, qid, None, {
        "A.1.authority": f"Bureau {c['contact authority']}",
        "A.1.email": f"{c['contact e-mail']}@justice.example.org",
        "A.1.phone": f"+33 {c['contact phone']}",
        "A.3.value": "central_authority", "A.4.value": ["en", "fr"],
        "B.1.value": "no", "B.3.value": "yes", "B.4.value": ["mla"], "B.6.value": "yes",
        "C.1.value": ["police"], "C.2.value": "no", "D.1.value": ["judge"],
        "D.2.value": "new_order", "D.3.value": "no", "F.1.value": "no",
        "D.7.value": f"An order of the Court naming {c['answer text']}.",
        "D.7.remarks": f"Handled by {c['answer remarks']}."})
    builders.submit(app, owner.id, qid)
    builders.decide(app, moderator.id, "FRA", qid, "return",
                    reason=f"Please complete {c['response return comment']}.")
    public_id = builders.document(
        app, owner.id, status="draft", text=f"Article 9: {c['document file text']}.",
        title=f"Procedure {c['document title']}", summary=f"On {c['document summary']}.")
    with app.app_context():
        document = db.session.scalars(db.select(Document).where(
            Document.public_id == public_id)).one()
        owner_user = db.session.get(type(document.created_by), owner.id)
        sink = UploadSink()
        sink(filename="procedure-v2.txt")
        sink.write(f"Article 10: {c['document file text']} again.".encode())
        add_version(owner_user, document, sink, note=f"Now with {c['version note']}.")
        transition(owner_user, document, "submit")
        moderator_user = db.session.get(type(document.created_by), moderator.id)
        transition(moderator_user, document, "return", reason=f"See {c['return reason']}.")
        db.session.remove()
        assert run_extractions(limit=10) >= 1  # the file's text, sealed, and in the index
        db.session.remove()
    revised = _returned_revision(app, owner.id, moderator.id)
    assert client.get("/search", query_string={"q": c["search query"]}).status_code == 200
    admin_client, _ = logged_in("admin", None)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.invalid")  # queued, never sent here
    invited = post_form(admin_client, "/admin/users/invite", {
        "email": f"{c['invitation e-mail']}@example.org", "role": "court", "state": "",
        "display_name": f"Ms {c['display name']}"})
    assert invited.status_code == 200
    with app.app_context():
        assert invitations  # the page went through the invitation service
        db.session.remove()
    return client, moderator_client, public_id, revised


def _returned_revision(app, owner_id: int, moderator_id: int) -> str:
    """A published document whose revision (new file, new description) was returned: the
    revision's words are sealed, and in the search index for its own State."""
    c = CANARIES
    public_id = builders.document(app, owner_id, status="draft", text="Article 3.",
                                  title="Guideline on seizure")
    with app.app_context():
        document = db.session.scalars(db.select(Document).where(
            Document.public_id == public_id)).one()
        owner_user = db.session.get(type(document.created_by), owner_id)
        moderator_user = db.session.get(type(document.created_by), moderator_id)
        transition(owner_user, document, "submit")
        transition(moderator_user, document, "publish")
        sink = UploadSink()
        sink(filename="guideline-2026.txt")
        sink.write(f"Article 4: {c['revision file text']}.".encode())
        revisions.propose(owner_user, document, revisions.RevisionInput(
            note=f"Amended by {c['revision note']}.", title=f"Guideline {c['revision title']}",
            summary=f"On {c['revision summary']}.", topics=["freezing"]), sink)
        revisions.decide(moderator_user, document, "return",
                         f"See {c['revision return reason']}.")
        db.session.remove()
        assert run_extractions(limit=10) == 2  # the published file, and the revision's
        db.session.remove()
    return public_id


def database_bytes(app, tmp_path: Path) -> bytes:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
        if url.startswith("sqlite"):
            path = Path(db.engine.url.database)
            return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"))
                            if p.exists())
        dump = tmp_path / "dump.sql"
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        command = [shutil.which("pg_dump") or "pg_dump", "--no-owner", f"--file={dump}", url]
        subprocess.run(command, check=True)  # noqa: S603 (the test machine's own pg_dump)
        return dump.read_bytes()


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_stolen_copy_without_the_keys_reveals_no_word_written(app, logged_in, runner,
                                                                 tmp_path, monkeypatch):
    client, moderator_client, public_id, revised = write_every_canary(app, logged_in,
                                                                      monkeypatch)
    found = {"database": leaks(database_bytes(app, tmp_path))}
    blobs = app.config["BLOB_DIR"]
    found["document files"] = leaks(b"".join(p.read_bytes() for p in blobs.rglob("*")
                                             if p.is_file()))
    with app.app_context():
        embedded = backends.configured_name(app) == "whoosh"
        index_folder = whoosh_index.root(app)
    if embedded:
        found["search index"] = leaks(b"".join(p.read_bytes() for p in index_folder.rglob("*")
                                               if p.is_file()))
        assert list(index_folder.rglob("*.seg")) or list(index_folder.rglob("*.trm")), \
            "the index was written"
    keeper = make_keeper(runner, tmp_path / "keeper")
    assert back_up(runner, tmp_path / "backup", keeper).exit_code == 0
    found["backup"] = leaks(b"".join(p.read_bytes() for p in (tmp_path / "backup").rglob("*")
                                     if p.is_file()))
    assert {where: leaked for where, leaked in found.items() if leaked} == {}

    # And the people who could read them still do, in clear.
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    assert CANARIES["document title"] in page
    assert CANARIES["return reason"] in page
    queue = moderator_client.get("/audit/", query_string={"action": "search"})
    assert CANARIES["search query"] in queue.get_data(as_text=True)
    title = client.get("/search", query_string={"q": CANARIES["document title"]})
    assert f"Procedure <mark>{CANARIES['document title']}</mark></a>" in title.get_data(as_text=True)
    for where in ("answer text", "answer remarks", "document summary", "document file text"):
        found = client.get("/search", query_string={"q": CANARIES[where]})
        assert f"<mark>{CANARIES[where]}</mark>" in found.get_data(as_text=True), where
    page = client.get(f"/documents/{revised}").get_data(as_text=True)
    for where in ("revision title", "revision summary", "revision note",
                  "revision return reason"):
        assert CANARIES[where] in page, where
    found = client.get("/search", query_string={"q": CANARIES["revision file text"]})
    assert f"<mark>{CANARIES['revision file text']}</mark>" in found.get_data(as_text=True)
    misspelt = client.get("/search", query_string={"q": CANARIES["answer text"][:-1] + "x"})
    assert f"{CANARIES['answer text']}</a>" in misspelt.get_data(as_text=True)


def test_the_check_finds_a_canary_written_in_clear():
    """The search above is able to see a leak in each form it claims to look for."""
    for canary in CANARIES.values():
        for form in (canary.encode(), canary.upper().encode("utf-16-le"),
                     base64.b64encode(b"x" + canary.encode() + b"y")):
            assert leaks(b"..." + form + b"...") != [], (canary, form)
