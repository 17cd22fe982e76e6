"""Sealed fields: what people write is stored as ciphertext bound to its table, column and
row; a value moved to another row or column is refused, never shown; people are found by the
blind index of their address."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select, text

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.services import invitations
from coop_platform.crypto.fields import reseal, values_per_key
from coop_platform.extensions import db, keyring
from coop_platform.mail import outbox as mail
from tests.conftest import login
from tests.support import builders
from tests.support.questionnaires import seeded_questionnaire

TITLE = "Seizure of vessels — Procédure 7731"
SUMMARY = "Kestrel summary of the freezing order"


def raw(app, sql: str, **params):
    with app.app_context():
        return db.session.execute(text(sql), params).all()


def test_what_people_write_is_stored_sealed_under_its_purpose(app, logged_in):
    client, user = logged_in("focal_point", "FRA")
    builders.document(app, user.id, status="published", title=TITLE, summary=SUMMARY)
    qid = seeded_questionnaire(app)
    builders.save_answers(app, user.id, qid, None, {
        "A.1.authority": "Bureau Quetzalcoatl", "A.1.email": "icc@justice.example.org",
        "D.7.value": "An order naming Quetzalcoatl's assets.", "D.7.remarks": "Orca remark"})
    title, summary = raw(app, "SELECT title, summary FROM documents")[0]
    assert re.fullmatch(r"content-\d{4}:[A-Za-z0-9_=-]+", title)
    assert re.fullmatch(r"content-\d{4}:[A-Za-z0-9_=-]+", summary)
    values = " ".join(v + r for v, r in raw(app, "SELECT value_json, remarks FROM "
                                                 "answer_revisions"))
    assert "answers-0001:" in values
    for clear in ("Quetzalcoatl", "Orca", "Kestrel", "7731"):
        assert clear not in values + title + summary
    email, name, lookup = raw(app, "SELECT email, display_name, email_lookup FROM users "
                                   "WHERE id = :id", id=user.id)[0]
    assert email.startswith("people-0001:")
    assert user.email not in email
    assert re.fullmatch(r"lookup-0001:[0-9a-f]{64}", lookup)
    # Every reader who could, still reads them in clear.
    page = client.get("/documents/").get_data(as_text=True)
    assert TITLE in page


def test_a_value_moved_to_another_row_or_column_is_refused_not_shown(app, logged_in):
    client, user = logged_in("focal_point", "FRA")
    moved = builders.document(app, user.id, status="published", title="Kept for Senegal only")
    target = builders.document(app, user.id, status="published", title="Public procedure")
    (token,) = raw(app, "SELECT title FROM documents WHERE public_id = :p", p=moved)[0]
    with app.app_context():
        db.session.execute(text("UPDATE documents SET title = :t WHERE public_id = :p"),
                           {"t": token, "p": target})
        db.session.commit()
    page = client.get(f"/documents/{target}")
    assert page.status_code == 500
    body = page.get_data(as_text=True)
    assert "Kept for Senegal only" not in body
    assert "failed its integrity check" in body
    with app.app_context():
        failure = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "data.integrity_failure")).one()
        assert failure.outcome == "failure"
        # Another column of the same row does not open either.
        (summary,) = db.session.execute(text("SELECT summary FROM documents WHERE public_id = "
                                             ":p"), {"p": moved}).one()
        db.session.execute(text("UPDATE documents SET title = :t, summary = :s WHERE "
                                "public_id = :p"), {"t": summary, "s": "", "p": moved})
        db.session.commit()
    assert client.get(f"/documents/{moved}").status_code == 500


def test_people_are_found_by_the_blind_index_of_their_address(app, make_user, logged_in):
    with app.app_context():
        first, _ = invitations.invite("Ana.Lima@Example.ORG", "focal_point", "BRA", None)
        again, _ = invitations.invite("  ana.lima@example.org", "focal_point", "BRA", None)
        assert again.id == first.id  # one person, whatever the case
        assert len(db.session.execute(text("SELECT id FROM users WHERE email_lookup = :l"),
                                      {"l": first.email_lookup}).all()) == 1
    account = make_user(email="Case.Sensitive@example.org")
    client = app.test_client()
    shouting = dataclasses.replace(account, email="CASE.SENSITIVE@EXAMPLE.ORG")
    assert login(client, app, shouting).status_code == 302


@pytest.mark.parametrize("purpose", ["answers", "content", "people", "lookup", "mail",
                                     "auditlog"])
def test_rotating_a_sealing_key_seals_everything_again_and_resumes_when_stopped(
        app, logged_in, make_user, runner, purpose):
    client, user = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    document = builders.document(app, user.id, status="published", title=TITLE,
                                 summary=SUMMARY)
    builders.save_answers(app, user.id, seeded_questionnaire(app), None, {
        "A.1.authority": "Bureau Quetzalcoatl", "A.1.email": "icc@justice.example.org",
        "D.7.value": "An order naming the assets.", "D.7.remarks": "Orca remark"})
    with app.app_context():
        mail.queue(db.session(), mail.Mail("waiting@example.org", "Waiting", "Body"))
        db.session.commit()
        old = keyring().active_id(purpose)
        new = keyring().rotate(purpose).key_id
        stops = []

        def stop_after_the_first_batch():
            stops.append(1)
            if len(stops) == 1:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            reseal(purpose, batch_size=1, after_batch=stop_after_the_first_batch)
        db.session.rollback()
        halfway = values_per_key(purpose)
        assert halfway[new] == 1  # the first batch landed, the rest waits
        assert halfway[old] >= 1
        db.session.remove()
    resumed = runner.invoke(args=["keys", "reseal", purpose])
    assert resumed.exit_code == 0, resumed.output
    with app.app_context():
        done = values_per_key(purpose)
        assert done[old] == 0
        if purpose == "auditlog":  # the command's own records are sealed under the new key
            assert done[new] >= halfway[old] + 1
        else:
            assert done[new] == halfway[old] + 1
    status = runner.invoke(args=["keys", "status"]).output
    assert f"{old} {'indexes' if purpose == 'lookup' else 'seals'} 0 stored values (nothing" \
           in status
    # Every page still reads: the document, the answers, sign-in, the audit trail.
    assert TITLE in client.get(f"/documents/{document}").get_data(as_text=True)
    assert login(app.test_client(), app, user).status_code == 302
    assert moderator.get("/audit/").status_code == 200
    assert "Orca remark" in client.get(
        f"/questionnaires/{seeded_questionnaire(app)}/response/D").get_data(as_text=True)


def test_a_reseal_keeps_a_value_saved_while_it_ran(app, logged_in, monkeypatch):
    """The reseal writes a value only if it is still the one it read: a title saved between
    its read and its write (under the new key) is kept, not replaced by the old one."""
    from coop_platform.crypto.fields import Sealed
    from coop_platform.documents.models import Document

    _, user = logged_in("focal_point", "FRA")
    public_id = builders.document(app, user.id, status="published", title="Title before")
    original, saved = Sealed.open, []

    def open_while_someone_saves(self, token, row_id):
        plaintext = original(self, token, row_id)
        if self is Document.title and not saved:
            saved.append(row_id)
            table = Document.__table__
            db.session.execute(table.update().where(table.c.id == row_id).values(
                title=Document.title.seal("Title saved meanwhile", row_id)))
        return plaintext

    with app.app_context():
        keyring().rotate("content")
        monkeypatch.setattr(Sealed, "open", open_while_someone_saves)
        reseal("content")
        monkeypatch.undo()
        db.session.remove()
        document = db.session.scalars(select(Document).where(
            Document.public_id == public_id)).one()
        assert saved
        assert document.title == "Title saved meanwhile"
        db.session.remove()
