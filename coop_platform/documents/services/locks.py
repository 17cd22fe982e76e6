"""Decisions that read a document and then change it hold its row lock in between.

Two moderators publishing and rejecting at once both succeeded on PostgreSQL, and accepting
and refusing one sharing request at once ended in a 500: the status was read, checked and
written without a lock. On SQLite every transaction already takes the write lock at BEGIN
(core/sqlite.py); on PostgreSQL this is SELECT … FOR UPDATE, and the row is re-read, so the
check sees what the other request committed.
"""

from __future__ import annotations

from sqlalchemy import select

from coop_platform.documents.models import Document
from coop_platform.extensions import db


def lock(document: Document) -> None:
    """Re-read `document` (its sharing request and audience too) under its row lock, until
    the caller's transaction ends."""
    # The lock on the row alone (FOR UPDATE cannot cover the owner State's outer join), then
    # a fresh read: under READ COMMITTED it sees whatever the lock waited for.
    db.session.execute(select(Document.id).where(Document.id == document.id).with_for_update())
    db.session.refresh(document)
