"""Decisions that read a row and then change it hold the row's lock in between.

Two moderators publishing and rejecting one document at once both succeeded on PostgreSQL:
the status was read, checked and written without a lock. On SQLite every transaction already
takes the write lock at BEGIN (core/sqlite.py); on PostgreSQL this is SELECT … FOR UPDATE,
and the row is re-read, so the check sees what the other request committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coop_platform.extensions import db


def lock(obj: Any) -> None:
    """Re-read `obj` (a mapped object with an `id`) under its row lock, until the caller's
    transaction ends."""
    # The lock on the row alone (FOR UPDATE cannot cover outer joins of eager relationships),
    # then a fresh read: under READ COMMITTED it sees whatever the lock waited for.
    model = type(obj)
    db.session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    db.session.refresh(obj)
