"""The e-mail outbox's rows (outbox.py writes and sends them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coop_platform.core.clock import utcnow
from coop_platform.crypto.fields import Sealed
from coop_platform.extensions import Model


class OutboxMail(Model):
    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sealed (crypto/fields.py) under the "mail" key.
    _recipient: Mapped[str] = mapped_column("recipient", Text, default="")
    recipient = Sealed("_recipient", "mail")
    _subject: Mapped[str] = mapped_column("subject", Text, default="")
    subject = Sealed("_subject", "mail")
    # Emptied once sent (it can carry a single-use link).
    _body: Mapped[str] = mapped_column("body", Text, default="")
    body = Sealed("_body", "mail")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(200), default="")
