"""The Secretariat's dashboard: what waits and for how long, decisions per week, documents per
State and regional group."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import User
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.documents.models import Document, DocumentStatus
from coop_platform.documents.services.currency import stale_clause
from coop_platform.documents.services.visibility import visibility_clause
from coop_platform.extensions import db
from coop_platform.states.models import State

DECISION_ACTIONS = ("document.publish", "document.return", "document.reject", "document.withdraw")
WEEKS = 8


@dataclass
class Board:
    pending: int = 0
    oldest_pending_days: int | None = None
    pending_ages: dict[str, int] = field(default_factory=dict)
    decisions_per_week: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    published_per_group: dict[str, int] = field(default_factory=dict)
    published_per_state: list[tuple[str, int]] = field(default_factory=list)
    # Published documents neither updated nor confirmed current for 12 months.
    unconfirmed: int = 0


def _age_band(days: int) -> str:
    return "0-7" if days <= 7 else "8-30" if days <= 30 else "31+"


def build(user: User) -> Board:
    board = Board()
    now = utcnow()
    submitted = list(db.session.scalars(
        select(Document.submitted_at).where(visibility_clause(user),
                                            Document.status == DocumentStatus.PENDING)))
    ages = [(now - as_utc(s)).days for s in submitted if s is not None]
    board.pending = len(submitted)
    board.oldest_pending_days = max(ages) if ages else None
    board.pending_ages = dict(Counter(_age_band(a) for a in ages))

    start = (now - timedelta(weeks=WEEKS - 1)).date()
    start = start - timedelta(days=start.weekday())  # Monday of the first week shown
    weeks: dict[str, Counter] = {}
    for offset in range(WEEKS):
        monday = start + timedelta(weeks=offset)
        weeks[monday.isoformat()] = Counter()
    events = db.session.execute(select(AuditEvent.occurred_at, AuditEvent.action).where(
        AuditEvent.action.in_(DECISION_ACTIONS),
        AuditEvent.occurred_at >= datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)))
    for occurred, action in events:
        day = as_utc(occurred).date()
        week = (day - timedelta(days=day.weekday())).isoformat()
        if week in weeks:
            weeks[week][action.split(".", 1)[1]] += 1
    board.decisions_per_week = [(week, dict(c)) for week, c in weeks.items()]

    published = (select(State, func.count(Document.id))
                 .join(Document, Document.owner_state_id == State.id)
                 .where(visibility_clause(user), Document.status == DocumentStatus.PUBLISHED)
                 .group_by(State.id))
    per_group: Counter = Counter()
    per_state = []
    for state, n in db.session.execute(published):
        per_group[state.regional_group] += n
        per_state.append((state.display_name, n))
    board.published_per_group = dict(per_group)
    board.published_per_state = sorted(per_state, key=lambda row: (-row[1], row[0]))
    board.unconfirmed = db.session.scalar(select(func.count(Document.id)).where(
        visibility_clause(user), stale_clause(now))) or 0
    return board
