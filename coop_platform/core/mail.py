"""E-mail through SMTP when configured (SPC_SMTP_*), written to the log otherwise.

Messages are queued on the database session and sent only after it commits, so a rolled-back
action never sends mail, and a mail failure never undoes an action.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_OUTBOX = "spc_outbox"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def queue(session: Session, mail: Mail) -> None:
    session.info.setdefault(_OUTBOX, []).append(mail)


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


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for mail in session.info.pop(_OUTBOX, []):
        try:
            deliver(mail)
        except Exception:  # the action stands; the failure is logged for the operators
            log.exception("could not send e-mail to %s", mail.to)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX, None)
