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

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import click
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 30_000
_creating = threading.local()


@contextmanager
def creating_allowed() -> Iterator[None]:
    """Let connections made meanwhile create a missing database file (migrations only)."""
    _creating.allowed = True
    try:
        yield
    finally:
        _creating.allowed = False


def _may_create() -> bool:
    """Only `flask db upgrade` (and code inside `creating_allowed`) makes a database file:
    any other process that finds none must stop, not start on an empty one."""
    if getattr(_creating, "allowed", False):
        return True
    context = click.get_current_context(silent=True)
    return (context is not None and context.info_name == "upgrade"
            and context.parent is not None and context.parent.info_name == "db")


def enable_sqlite_pragmas(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """`busy_timeout_ms`: how long a statement waits for another connection's write lock
    before the database counts as unavailable (a 503)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "do_connect")
    def _open_existing_only(_dialect: Any, _record: Any, cargs: list[Any],
                            cparams: dict[str, Any]) -> None:
        name = cargs[0] if cargs else ""
        if name and name != ":memory:" and not name.startswith("file:") and not _may_create():
            # SQLite's URI form with mode=rw opens the file or fails; it never creates it.
            cargs[0] = f"file:{quote(name)}?mode=rw"
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not issue its own BEGIN: SQLAlchemy's "begin" event below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
