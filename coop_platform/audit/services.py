"""record() appends to the chain inside the caller's transaction; verify() walks it.

Each record's hash is HMAC-SHA256(audit key, canonical record || previous hash), keyed so that
someone with database access alone cannot forge a consistent chain. Appends take a row lock on
the chain head, which serialises writers and keeps sequence numbers gapless.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select

from coop_platform.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from coop_platform.core.authz import SECRETARIAT_ROLES, require_role
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import Forbidden
from coop_platform.core.observability import count_audit_event
from coop_platform.core.pages import paginate
from coop_platform.core.signals import audit_requested, request_refused
from coop_platform.core.spreadsheets import neutralise_csv
from coop_platform.crypto.fields import SealBroken, lookup_tokens
from coop_platform.crypto.keyring import KeysMissing
from coop_platform.extensions import db, keyring

# Fields that must never land in a record, whatever a caller passes in `details`.
_FORBIDDEN_DETAIL_KEYS = {"password", "code", "token", "secret", "recovery_code", "key"}


def canonical(event: AuditEvent) -> bytes:
    occurred = as_utc(event.occurred_at)
    body = {
        "seq": event.seq,
        "occurred_at": occurred.isoformat(timespec="microseconds") if occurred else None,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "state_id": event.state_id,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "details": event.details,
        "key_id": event.key_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _digest(event: AuditEvent, key_id: str | None = None) -> str:
    _, digest = keyring().mac("audit", canonical(event) + event.prev_hash.encode(), key_id)
    return digest


def record(
    action: str,
    *,
    actor: Any = None,
    outcome: str = "success",
    object_type: str = "",
    object_id: str | int = "",
    state_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction (the caller commits)."""
    clean = {k: v for k, v in (details or {}).items() if k not in _FORBIDDEN_DETAIL_KEYS}
    if ip is None and has_request_context():
        ip = getattr(g, "client_address", "") or ""
    actor_id = getattr(actor, "id", None)
    if state_id is None and actor is not None:
        state_id = getattr(actor, "state_id", None)
    head = db.session.scalars(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).one()
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        actor_label=getattr(actor, "email", "") or "",
        state_id=state_id,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id),
        ip=ip or "",
        details=json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str),
        key_id=keyring().active_id("audit"),
        prev_hash=head.hash,
    )
    event.hash = _digest(event, event.key_id)
    db.session.add(event)
    count_audit_event(action, outcome)
    head.seq = event.seq
    head.hash = event.hash
    return event


@audit_requested.connect
def _record_requested(_sender: object, *, action: str, **fields: Any) -> None:
    record(action, **fields)


@request_refused.connect
def _record_refusal(_sender: object, *, actor: Any, status: int, reason: str, path: str, method: str,
                    object_type: str = "", object_id: str = "", state_id: int | None = None,
                    **_kw: Any) -> None:
    record("request.denied", actor=actor, outcome="denied", object_type=object_type,
           object_id=object_id, state_id=state_id,
           details={"status": status, "path": path, "method": method, "reason": reason})


def _check(event: AuditEvent, expected_seq: int, prev_hash: str) -> str:
    """Why this record breaks the chain, or "" when it fits."""
    if event.seq != expected_seq:
        return f"sequence {event.seq} found where {expected_seq} was expected"
    if event.prev_hash != prev_hash:
        return "previous-hash link does not match the record before it"
    try:
        if not hmac.compare_digest(_digest(event, event.key_id), event.hash):
            return "record content does not match its hash"
    except KeysMissing:
        return f"record names an unknown audit key {event.key_id!r}"
    except SealBroken:
        return "sealed content does not open: altered, or moved from another record"
    return ""


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_record_id: int | None = None
    bad_seq: int | None = None
    reason: str = ""


def verify(batch_size: int = 1000) -> VerifyResult:
    """Walk the chain in insertion order; stop at the first record that does not fit."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    # Insertion order (appends are serialised by the head lock, so ids follow sequence numbers):
    # an edited sequence number is then caught at the record that carries it.
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    # A server-side cursor on PostgreSQL: close it even when we stop at a broken record.
    with closing(db.session.scalars(stmt)) as events:
        for event in events:
            reason = _check(event, expected_seq, prev_hash)
            if reason:
                return VerifyResult(False, checked, event.id, event.seq, reason)
            checked += 1
            expected_seq += 1
            prev_hash = event.hash
            last_id = event.id
    head = db.session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            last_id,
            checked,
            "chain head does not match the last record (records removed at the end?)",
        )
    return VerifyResult(True, checked)


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    outcome: str = ""
    state_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    object_ref: str = ""  # an object id (document, user), or "type:id"

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items() if v not in (None, "")}


def filtered_events(flt: AuditFilter) -> Select[AuditEvent]:
    """The filtered statement, newest first (pages and exports share it)."""
    stmt = select(AuditEvent)
    if flt.object_ref:
        kind, _, ident = flt.object_ref.rpartition(":")
        stmt = stmt.where(AuditEvent.object_id == ident.strip())
        if kind:
            stmt = stmt.where(AuditEvent.object_type == kind.strip())
    if flt.actor:
        # Addresses are sealed: the actor is found by the blind index of the whole address.
        stmt = stmt.where(AuditEvent.actor_lookup.in_(lookup_tokens(flt.actor)))
    if flt.action:
        stmt = stmt.where(AuditEvent.action.like(f"{_escape_like(flt.action)}%", escape="\\"))
    if flt.outcome:
        stmt = stmt.where(AuditEvent.outcome == flt.outcome)
    if flt.state_id:
        stmt = stmt.where(AuditEvent.state_id == flt.state_id)
    if flt.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < flt.date_to)
    return stmt.order_by(AuditEvent.seq.desc())


def _require_secretariat(actor: Any) -> None:
    """Defence in depth: the views check the role too."""
    if actor is None:
        raise Forbidden(_l("Only the Secretariat reads the audit trail."))
    require_role(actor, SECRETARIAT_ROLES, _l("Only the Secretariat reads the audit trail."))


def search_events(flt: AuditFilter, page: int, actor: Any,
                  per_page: int = 50) -> Pagination:
    """Newest first, filtered; for the admin and moderator pages."""
    _require_secretariat(actor)
    return paginate(filtered_events(flt), page, per_page)


CSV_COLUMNS = ("seq", "occurred_at", "actor_label", "state_id", "action", "outcome",
               "object_type", "object_id", "ip", "details", "hash")


def export_rows(flt: AuditFilter, actor: Any) -> Iterator[list[str]]:
    """Check the role and audit the export now (before any byte is sent); the rows stream
    afterwards, in their own short read."""
    _require_secretariat(actor)
    record("audit.exported", actor=actor, details={"filters": flt.as_dict()})
    db.session.commit()
    return _rows(flt)


def _rows(flt: AuditFilter) -> Iterator[list[str]]:
    yield list(CSV_COLUMNS)
    stmt = filtered_events(flt).execution_options(yield_per=1000)
    with closing(db.session.scalars(stmt)) as events:
        for event in events:
            row = [getattr(event, c) for c in CSV_COLUMNS]
            row[1] = as_utc(event.occurred_at).isoformat()
            yield [neutralise_csv(v) for v in row]
    db.session.rollback()  # end the read transaction before the stream closes


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
