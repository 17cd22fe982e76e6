"""The one reminder mechanism for what a State keeps current (questionnaire answers,
published documents): eleven months after the last confirmation its focal points are told,
a month before it counts as "not confirmed for 12 months", then monthly while nothing is
confirmed. `flask remind` runs every kind daily; each kind says what is due and claims it
here, so two overlapping runs remind once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update

from coop_platform.core.rows import changed_rows

REMIND_AFTER = timedelta(days=335)
REMIND_EVERY = timedelta(days=30)
STALE_AFTER = timedelta(days=365)


def claim(model: Any, row_id: int, now: datetime) -> bool:
    """Mark the row reminded now, unless a reminder went out in the last month: one atomic
    statement, so of two runs at once only one sends it."""
    return bool(changed_rows(
        update(model).where(model.id == row_id,
                            or_(model.reminded_at.is_(None),
                                model.reminded_at < now - REMIND_EVERY))
        .values(reminded_at=now)))
