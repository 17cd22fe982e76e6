"""The audit chain: recorded with the action, verified, tampering detected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from coop_platform.audit.models import AuditEvent
from coop_platform.audit.services import record
from coop_platform.extensions import db
from tests.conftest import login, post_form


@pytest.fixture
def chain(app, make_user):
    """A chain with real login events in it."""
    user = make_user()
    client = app.test_client()
    post_form(client, "/auth/login", {"email": user.email, "password": "wrong-password-x1"})
    login(client, app, user)
    with app.app_context():
        ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.seq)))
        db.session.remove()
    assert len(ids) >= 3
    return ids


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_intact_chain_verifies(chain, runner):
    result = verify(runner)
    assert result.exit_code == 0
    assert f"{len(chain)} records" in result.output


def test_sequence_is_gapless_and_linked(app, chain):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash


def test_edited_record_is_detected(app, chain, runner):
    target = chain[1]
    with app.app_context():
        events = AuditEvent.__table__  # the stored columns, as an intruder edits them
        db.session.execute(events.update().where(events.c.id == target)
                           .values(details='{"step":"nothing happened"}'))
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"record id {target}" in result.output


def test_edit_with_recomputed_plain_hash_is_still_detected(app, chain, runner):
    """Without the audit key, recomputing an unkeyed SHA-256 does not help the attacker."""
    import hashlib

    target = chain[0]
    with app.app_context():
        event = db.session.get(AuditEvent, target)
        event.actor_label = "someone-else@example.org"
        event.hash = hashlib.sha256(b"forged").hexdigest()
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"record id {target}" in result.output


def test_deleted_record_is_detected(app, chain, runner):
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[1]})
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"record id {chain[2]}" in result.output


def test_deleted_last_record_is_detected(app, chain, runner):
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[-1]})
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert "chain head" in result.output


def test_reordered_records_are_detected(app, chain, runner):
    first, second = chain[0], chain[1]
    with app.app_context():
        # Swap the sequence numbers of two records (through a free value: seq is unique).
        db.session.execute(text("UPDATE audit_events SET seq = -1 WHERE id = :id"), {"id": first})
        db.session.execute(text("UPDATE audit_events SET seq = 1 WHERE id = :id"), {"id": second})
        db.session.execute(text("UPDATE audit_events SET seq = 2 WHERE id = :id"), {"id": first})
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    # Both records were edited; the first of them in insertion order is the first broken one.
    assert f"record id {first}" in result.output


def test_record_is_part_of_the_callers_transaction(app, ctx):
    record("test.rolled_back", details={"x": 1})
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent)).first() is None
    record("test.kept", details={"password": "hunter2", "x": 1})
    db.session.commit()
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.seq == 1
    assert "hunter2" not in event.details


def test_audit_page_filters(app, chain, logged_in):
    client, _ = logged_in(role="moderator")
    page = client.get("/audit/?action=login.failure").get_data(as_text=True)
    assert "<td>Sign-in failed</td>" in page
    assert "<td>Signed in</td>" not in page
    assert client.get("/audit/?from=not-a-date").status_code == 400
    assert "YYYY-MM-DD" in client.get("/audit/?from=not-a-date").get_data(as_text=True)
    page = client.get("/audit/?outcome=failure").get_data(as_text=True)
    assert "<td>Sign-in failed</td>" in page
    assert "<td>Signed in</td>" not in page


def test_head_checkpoint_detects_a_truncated_chain_with_a_fixed_head(app, chain, runner, tmp_path):
    from coop_platform.audit.models import AuditHead

    checkpoint = tmp_path / "head.json"
    assert runner.invoke(args=["audit", "head", "-o", str(checkpoint)]).exit_code == 0
    ok = runner.invoke(args=["audit", "verify", "--head", str(checkpoint)])
    assert ok.exit_code == 0
    assert "contains the checkpoint" in ok.output
    with app.app_context():
        # An insider removes the last records and rewinds the head row to match.
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).all()
        keep = last[3]
        for event in last[:3]:
            db.session.delete(event)
        head = db.session.get(AuditHead, 1)
        head.seq, head.hash = keep.seq, keep.hash
        db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the chain alone looks fine
    result = runner.invoke(args=["audit", "verify", "--head", str(checkpoint)])
    assert result.exit_code == 1
    assert "records were removed" in result.output


def test_forged_checkpoint_is_refused(app, chain, runner, tmp_path):
    import json

    checkpoint = tmp_path / "head.json"
    runner.invoke(args=["audit", "head", "-o", str(checkpoint)])
    data = json.loads(checkpoint.read_text())
    data["seq"] = 1
    checkpoint.write_text(json.dumps(data))
    result = runner.invoke(args=["audit", "verify", "--head", str(checkpoint)])
    assert result.exit_code == 1
    assert "signature does not verify" in result.output
    checkpoint.write_text("not json")
    assert runner.invoke(args=["audit", "verify", "--head", str(checkpoint)]).exit_code == 1


def test_csv_export_is_filtered_audited_and_safe(app, logged_in, make_user):
    import csv
    import io

    from tests.support.documents import upload, uploaded_id

    owner, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(owner))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    admin, _ = logged_in("admin", None)
    post_form(admin, f"/documents/{doc}/publish", {}, token_path=f"/documents/{doc}")
    response = admin.get(f"/audit/export.csv?object=document:{doc}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["seq", "occurred_at"]
    actions = [r[4] for r in rows[1:]]
    assert "document.publish" in actions
    assert "document.submit" in actions
    assert all(r[7] == doc for r in rows[1:])
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "audit.exported")).one()
    focal, _ = logged_in("focal_point", "SEN")
    assert focal.get("/audit/export.csv").status_code == 403


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx"])
def test_csv_cells_never_start_a_formula(value):
    from coop_platform.core.spreadsheets import neutralise

    assert neutralise(value) == "'" + value
    assert neutralise("plain") == "plain"


def test_audit_services_refuse_non_secretariat_actors(app, ctx, make_user):
    from types import SimpleNamespace

    from coop_platform.audit.services import AuditFilter, export_rows, search_events
    from coop_platform.core.exceptions import Forbidden

    for role in ("focal_point", "court", None):
        actor = SimpleNamespace(role=role, id=None, email="", state_id=None)
        with pytest.raises(Forbidden):
            search_events(AuditFilter(), page=1, actor=actor)
        with pytest.raises(Forbidden):
            next(export_rows(AuditFilter(), actor))


# Each column of a record, and a new value for it (the hash column is left as it was).
COLUMN_EDITS = {
    "actor_label": "someone.else@example.org",
    "action": "login.success",
    "outcome": "denied",
    "object_type": "document",
    "object_id": "00000000-0000-0000-0000-000000000000",
    "ip": "203.0.113.77",
    "details": '{"step":"nothing happened"}',
    "occurred_at": "shift",
    "state_id": "another State",
    "actor_id": None,
    "seq": "swap",
    "key_id": "audit-999",
}


@pytest.mark.parametrize("column", sorted(COLUMN_EDITS))
def test_editing_any_single_column_is_detected_and_named(app, chain, runner, column):
    from datetime import timedelta

    from coop_platform.states.models import State

    target = chain[1]
    with app.app_context():
        event = db.session.get(AuditEvent, target)
        value = COLUMN_EDITS[column]
        if value == "shift":
            value = event.occurred_at + timedelta(seconds=1)
        elif value == "another State":
            value = db.session.scalars(select(State.id).where(State.id != event.state_id)
                                       .order_by(State.id)).first()
        elif value == "swap":
            value = event.seq + 1000
        assert getattr(event, column) != value
        events = AuditEvent.__table__  # the stored columns, as an intruder edits them
        db.session.execute(events.update().where(events.c.id == target)
                           .values({column: value}))
        db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1, result.output
    assert f"record id {target}" in result.output


def test_the_audit_page_reads_like_sentences_and_the_export_keeps_codes(app, logged_in):
    from tests.support.documents import upload, uploaded_id

    owner, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(owner, title="Freezing procedure of France"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    draft = uploaded_id(upload(owner, title="A draft the Secretariat cannot see"))
    moderator, _ = logged_in("moderator", None)
    page = moderator.get("/audit/?action=document.").get_data(as_text=True)
    assert "<td>Document submitted for moderation</td>" in page
    assert f'<a href="/documents/{doc}">Freezing procedure of France</a>' in page
    # The draft is out of the moderator's reach: its id, never its title.
    assert "A draft the Secretariat cannot see" not in page
    assert draft in page
    assert "<dt>Version</dt><dd>1</dd>" in page
    assert '{"' not in page  # no raw JSON
    csv = moderator.get("/audit/export.csv?action=document.submit").get_data(as_text=True)
    assert "document.submit" in csv
    assert "Document submitted for moderation" not in csv
    # Every field quoted, as in the answers' exports: one cell whatever the separator.
    assert all(line.startswith('"') and line.endswith('"') for line in csv.splitlines())


def test_the_actor_filter_finds_a_whole_address_through_its_blind_index(app, logged_in):
    """Addresses are sealed in the trail: the actor box takes a whole address, in any case,
    and finds it by its blind index; a part of an address finds nothing."""
    moderator, _ = logged_in("moderator", None)
    focal, focal_user = logged_in("focal_point", "FRA")
    other, other_user = logged_in("focal_point", "SEN")
    rows = re.compile(r"<tr><td>\d+</td>")

    def events_of(actor: str) -> str:
        return moderator.get("/audit/", query_string={"actor": actor}).get_data(as_text=True)

    mine = events_of(focal_user.email.upper())
    assert rows.findall(mine)
    assert focal_user.email in mine
    assert other_user.email not in mine
    assert not rows.findall(events_of(focal_user.email.split("@")[0]))
    with app.app_context():
        stored = db.session.execute(AuditEvent.__table__.select().where(
            AuditEvent.__table__.c.actor_id == focal_user.id)).mappings().first()
        assert focal_user.email not in stored["actor_label"]
        assert stored["actor_lookup"].startswith("lookup-")
