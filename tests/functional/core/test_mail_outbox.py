"""The e-mail outbox: written in the action's transaction, delivered afterwards by a sender
through a real SMTP server (aiosmtpd), retried with growing delays when the server refuses or
is down, never lost, never sent for a rolled-back action, its secret-bearing body encrypted at
rest and wiped once sent."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from coop_platform.core.clock import utcnow
from coop_platform.extensions import db
from coop_platform.mail import outbox as mail
from tests.conftest import post_form

SECRET_LINK = "https://platform.example/auth/invitation/SECRET-TOKEN-123"


def _queue(app, n=1, body=f"Open {SECRET_LINK}"):
    with app.app_context():
        for i in range(n):
            mail.queue(db.session(), mail.Mail(f"fp{i}@example.org", f"Subject {i}", body))
        db.session.commit()
        db.session.remove()


def _rows(app):
    with app.app_context():
        rows = list(db.session.scalars(select(mail.OutboxMail).order_by(mail.OutboxMail.id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def _send(app, **kw):
    with app.app_context():
        result = mail.send_due(**kw)
        db.session.remove()
    return result


def test_a_request_writes_the_outbox_and_the_sender_delivers_it(app, logged_in, smtp_server):
    admin, _ = logged_in("admin", None)
    page = post_form(admin, "/admin/users/invite",
                     {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    assert page.status_code == 200
    assert smtp_server.messages == []
    (row,) = _rows(app)
    stored = row._body  # the column as stored: sealed
    assert "SECRET" not in stored
    assert "invitation" not in stored
    assert stored.startswith("mail-0001:")
    assert _send(app) == (1, 0)
    assert [to for to, _ in smtp_server.messages] == [["new.fp@example.org"]]
    assert "/auth/invitation/" in smtp_server.messages[0][1]
    (row,) = _rows(app)
    assert row.sent_at is not None
    assert row.body == ""  # the single-use link does not outlive its delivery
    assert _send(app) == (0, 0)  # sent once only
    assert len(smtp_server.messages) == 1


def test_a_refusing_or_absent_server_delays_and_never_loses_a_message(app, smtp_server):
    _queue(app)
    smtp_server.refuse = True
    start = utcnow()
    assert _send(app) == (0, 1)
    (row,) = _rows(app)
    assert row.attempts == 1
    assert row.sent_at is None
    assert row.failed_at is None
    assert "451" in row.last_error
    # Not due again before its delay (1 minute, then 2, 4, ...).
    assert timedelta(seconds=50) < row.next_attempt_at.replace(tzinfo=start.tzinfo) - start \
        < timedelta(seconds=70)
    assert _send(app) == (0, 0)
    assert _send(app, now=utcnow() + timedelta(minutes=1, seconds=1)) == (0, 1)
    (row,) = _rows(app)
    assert row.attempts == 2
    # The server comes back: the message leaves.
    smtp_server.refuse = False
    assert _send(app, now=utcnow() + timedelta(minutes=5)) == (1, 0)
    assert len(smtp_server.messages) == 1


def test_after_the_last_attempt_the_message_stays_for_the_operators(app, runner):
    _queue(app)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_STARTTLS=False)  # nothing there
    try:
        later = utcnow()
        for _ in range(mail.MAX_ATTEMPTS):
            later += timedelta(hours=7)
            _send(app, now=later)
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=587, SMTP_STARTTLS=True)
    (row,) = _rows(app)
    assert row.attempts == mail.MAX_ATTEMPTS
    assert row.failed_at is not None
    assert row._body != ""  # kept, to be sent once SMTP is fixed
    assert "pending 0" in runner.invoke(args=["mail", "status"]).output
    assert "failed 1" in runner.invoke(args=["mail", "status"]).output
    assert runner.invoke(args=["mail", "retry"]).output == "1 message(s) will be tried again\n"
    assert runner.invoke(args=["mail", "send"]).output == "sent 1, failed attempts 0\n"  # to the log


def test_a_rolled_back_action_sends_nothing(app):
    with app.app_context():
        mail.queue(db.session(), mail.Mail("fp@example.org", "S", "B"))
        db.session.rollback()
        db.session.remove()
    assert _rows(app) == []


def test_a_slow_server_never_slows_a_request(app, logged_in, smtp_server, monkeypatch):
    real = mail.deliver

    def slow(message):
        time.sleep(3)
        real(message)

    monkeypatch.setattr(mail, "deliver", slow)
    admin, _ = logged_in("admin", None)
    start = time.perf_counter()
    post_form(admin, "/admin/users/invite",
              {"email": "new.fp@example.org", "role": "focal_point", "state": "SEN"})
    assert time.perf_counter() - start < 2  # the request did not wait for SMTP


def test_two_senders_at_once_send_each_message_once(app, smtp_server):
    _queue(app, n=20, body="Hello")
    results = []

    def sender():
        results.append(_send(app))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(sent for sent, _ in results) == 20
    assert sorted(to[0] for to, _ in smtp_server.messages) == sorted(
        f"fp{i}@example.org" for i in range(20))


def test_readyz_and_metrics_report_the_outbox(app, client):
    _queue(app, n=2)
    with app.app_context():
        db.session.execute(update(mail.OutboxMail).values(created_at=utcnow() - timedelta(
            seconds=90)))
        db.session.commit()
        db.session.remove()
    report = client.get("/readyz").get_json()
    assert report["mail_outbox"]["pending"] == 2
    assert report["mail_outbox"]["oldest_pending_seconds"] >= 90
    app.config["METRICS_ALLOWED"] = ["127.0.0.1"]
    metrics = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    text = metrics.get_data(as_text=True)
    assert "spc_mail_outbox_pending 2.0" in text
