"""E-mail leaves through an outbox: a message is a row written in the same transaction as the
action that causes it, and a sender (`flask --app wsgi mail send --loop`, or a timer) delivers
it afterwards through SMTP when configured (SPC_SMTP_*), to the log otherwise.

So a rolled-back action never sends mail, a slow or failing SMTP server never slows or fails a
request, and a message is never lost: a failed attempt is retried with a growing delay, and
after the last attempt the message stays, marked failed, for the operators (`mail status`,
/readyz). The body can carry a single-use link (an invitation): it is stored encrypted under
the "mail" key and wiped once sent. A sender that dies mid-message leaves a lease that expires,
and the message is tried again: delivery is at least once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.rows import changed_rows
from coop_platform.extensions import db
from coop_platform.mail.models import OutboxMail

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than one SMTP conversation (its timeout is 20 s)
MAX_ATTEMPTS = 12  # about twenty hours of retries with the delays below
FIRST_DELAY, LONGEST_DELAY = timedelta(minutes=1), timedelta(hours=6)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def queue(session: Session, mail: Mail) -> None:
    """Write the message in the caller's transaction; it leaves after the commit."""
    now = utcnow()
    row = OutboxMail(recipient=mail.to, subject=mail.subject[:400], body=mail.body,
                     created_at=now,
                     next_attempt_at=now, attempts=0, last_error="")
    session.add(row)


def deliver(mail: Mail) -> None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        # Who and what about, never the body: it may carry a link with a secret in it.
        log.info("e-mail (no SMTP configured) to=%s subject=%s", mail.to, mail.subject)
        return
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=20) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        smtp.send_message(message)


def delay_after(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most six hours."""
    delay: timedelta = FIRST_DELAY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_DELAY)


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
            OutboxMail.next_attempt_at <= now,
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now))


def _claim(now: datetime) -> OutboxMail | None:
    """Take the next due message under a lease, in one short transaction. Two senders never
    take the same message: on PostgreSQL the candidate row is locked (skipping rows another
    sender holds) and the lease is set by a conditional UPDATE; SQLite serialises writers."""
    candidate = (select(OutboxMail.id).where(*_due(now))
                 .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    row_id = db.session.scalar(candidate)
    if row_id is None:
        db.session.rollback()
        return None
    taken = changed_rows(
        update(OutboxMail).where(OutboxMail.id == row_id, *_due(now))
        .values(claimed_until=now + LEASE, attempts=OutboxMail.attempts + 1))
    db.session.commit()
    return db.session.get(OutboxMail, row_id) if taken else None


def send_due(limit: int = 100, now: datetime | None = None) -> tuple[int, int]:
    """Deliver up to `limit` due messages. Returns (sent, failed attempts)."""
    sent = failed = 0
    for _ in range(limit):
        row = _claim(now or utcnow())
        if row is None:
            break
        try:
            deliver(Mail(row.recipient, row.subject, row.body))
        except Exception as exc:  # the message stays; the next attempt waits longer
            failed += 1
            when = now or utcnow()
            gave_up = row.attempts >= MAX_ATTEMPTS
            # Never the recipient nor the server's words: they can name the address.
            reason = " ".join(str(part) for part in (type(exc).__name__,
                                                     getattr(exc, "smtp_code", "")) if part)
            log.warning("e-mail %s: attempt %d failed (%s)%s", row.id, row.attempts, reason,
                        "; giving up" if gave_up else "")
            db.session.execute(update(OutboxMail).where(OutboxMail.id == row.id).values(
                claimed_until=None, last_error=reason[:200],
                next_attempt_at=when + delay_after(row.attempts),
                failed_at=when if gave_up else None))
        else:
            sent += 1
            db.session.execute(update(OutboxMail).where(OutboxMail.id == row.id).values(
                claimed_until=None, sent_at=now or utcnow(), _body="", last_error=""))
        db.session.commit()
    return sent, failed


@dataclass
class OutboxState:
    pending: int
    failed: int
    oldest_pending_seconds: float | None


def outbox_state(now: datetime | None = None) -> OutboxState:
    now = now or utcnow()
    pending, oldest = db.session.execute(
        select(func.count(OutboxMail.id), func.min(OutboxMail.created_at))
        .where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))).one()
    failed = db.session.scalar(select(func.count(OutboxMail.id))
                               .where(OutboxMail.failed_at.is_not(None))) or 0
    age = (now - as_utc(oldest)).total_seconds() if oldest is not None else None
    return OutboxState(pending or 0, failed, age)


def retry_failed() -> int:
    """Give the messages that ran out of attempts another round (after fixing SMTP)."""
    count = changed_rows(
        update(OutboxMail).where(OutboxMail.failed_at.is_not(None), OutboxMail.sent_at.is_(None))
        .values(failed_at=None, attempts=0, next_attempt_at=utcnow(), last_error=""))
    db.session.commit()
    return count
