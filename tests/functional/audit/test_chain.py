"""The audit chain: recorded with the action, verified, tampering detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

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
        db.session.execute(update(AuditEvent).where(AuditEvent.id == target)
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
    assert f"record id {second}" in result.output


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
    assert "<td>login.failure</td>" in page
    assert "<td>login.success</td>" not in page
    assert client.get("/audit/?from=not-a-date").status_code == 200
    assert "YYYY-MM-DD" in client.get("/audit/?from=not-a-date").get_data(as_text=True)
    page = client.get("/audit/?outcome=failure").get_data(as_text=True)
    assert "<td>login.failure</td>" in page
    assert "<td>login.success</td>" not in page
