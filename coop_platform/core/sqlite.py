"""SQLite settings for the embedded default: WAL for concurrent readers, foreign keys on,
secure_delete so removed rows do not linger in free pages, and one writer at a time.

Every transaction starts with BEGIN IMMEDIATE. With the driver's deferred BEGIN, a request
that reads (the user, the chain head) and then writes cannot upgrade its lock once another
connection has committed in between: SQLite answers "database is locked" at once, whatever the
busy timeout, and the request fails. Taking the write lock at BEGIN turns that conflict into a
short wait (bounded by busy_timeout) and makes read-then-write sequences serial, so the audit
chain head, single-use codes and counters behave as they do under PostgreSQL's row locks.
Transactions must therefore stay short: requests end theirs before streaming a body in or out
(see core.security and documents.views).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000


def enable_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # The driver must not issue its own BEGIN: SQLAlchemy's "begin" event below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
