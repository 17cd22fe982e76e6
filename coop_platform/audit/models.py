from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from coop_platform.crypto.fields import Sealed, SealedLookup
from coop_platform.extensions import Model

GENESIS_HASH = "0" * 64


class AuditEvent(Model):
    """One record of the chain. Never updated or deleted by the application."""

    __tablename__ = "audit_events"
    # A document's history and access log are read by object.
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Sealed (crypto/fields.py), bound to the sequence number; the actor is found by the
    # blind index of the address (the audit page's "actor" box).
    _actor_label: Mapped[str] = mapped_column("actor_label", Text, default="")
    actor_label = SealedLookup("_actor_label", "auditlog", lookup_attr="actor_lookup",
                               row_key="seq")
    actor_lookup: Mapped[str | None] = mapped_column(String(80), index=True)
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    _details: Mapped[str] = mapped_column("details", Text, default="")  # canonical JSON, sealed
    details = Sealed("_details", "auditlog", empty="{}", row_key="seq")
    key_id: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Model):
    """The chain head, one row: appends lock it, so sequence numbers stay gapless."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


@event.listens_for(AuditHead.__table__, "after_create")
def _insert_genesis(target: Any, connection: Connection, **kw: Any) -> None:
    connection.execute(
        text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
    )
