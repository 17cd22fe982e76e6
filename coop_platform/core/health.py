"""What /healthz (liveness) and /readyz (readiness) report.

Each says what it found, checked each time (nothing cached): a database that stops answering
or accepting writes turns them not-ready, and ready again when it recovers, without a restart.
"""

from __future__ import annotations

import os
from contextlib import suppress
from typing import Any

from flask import current_app
from sqlalchemy import text

from coop_platform.core import schema
from coop_platform.core.files import free_bytes
from coop_platform.extensions import db, keyring, limiter
from coop_platform.mail.outbox import outbox_state

MB = 1024 * 1024


def _database() -> str:
    """ok, or why the platform cannot use its database now."""
    engine = db.engine
    try:
        problem = schema.problem(engine)
        if problem is not None:
            return problem
        db.session.execute(text("SELECT 1"))
    except Exception as exc:
        # One line, not a traceback: a load balancer probes every few seconds while it lasts.
        current_app.logger.warning("health check: database unreachable (%s: %s)",
                                   type(exc).__name__, getattr(exc, "orig", None) or exc)
        with suppress(Exception):
            db.session.rollback()
        return "unreachable"
    path = schema.sqlite_file(engine)
    if path is not None:
        # A file (or its folder, where SQLite keeps its journal) that cannot be written takes
        # every save down, while reads go on: say so before the first save fails.
        for place in (path, path.parent):
            if not os.access(place, os.W_OK):
                return f"read-only: {place} cannot be written"
    return "ok"


def _keys() -> str:
    ring = keyring()
    malformed = ring.malformed()
    if malformed:
        return "malformed: " + ", ".join(sorted(malformed))
    return "ok" if ring.is_initialised() else "missing"


def _blob_store() -> str:
    """Free space where the encrypted files go, against SPC_BLOB_MIN_FREE_MB."""
    free = free_bytes(current_app.config["BLOB_DIR"]) // MB
    minimum = current_app.config["BLOB_MIN_FREE_MB"]
    return "ok" if free >= minimum else f"low: {free} MB free, under {minimum} MB"


def check_readiness() -> dict[str, Any]:
    """Whether this process can serve: database, rate-limit store (Redis in production,
    shared by workers), keys, the blob store's free space, and how e-mail leaves."""
    report = check_health()
    try:
        store = "ok" if limiter.storage.check() else "unreachable"
    except Exception:
        current_app.logger.exception("readiness check: rate-limit store unreachable")
        store = "unreachable"
    report["rate_limit_store"] = store
    report["blob_store"] = _blob_store()
    report["mail"] = "smtp" if current_app.config.get("SMTP_HOST") else "log only"
    try:
        outbox = outbox_state()
        report["mail_outbox"] = {"pending": outbox.pending, "failed": outbox.failed,
                                 "oldest_pending_seconds": outbox.oldest_pending_seconds}
    except Exception:
        current_app.logger.exception("readiness check: mail outbox unreadable")
        db.session.rollback()
        report["mail_outbox"] = "unreadable"
    # A stuck outbox is for the operators (metrics, alerts), not a reason to stop serving;
    # nor is a full blob store (uploads are refused with a message, everything else works).
    if store != "ok":
        report["status"] = "degraded"
    return report


def check_health() -> dict[str, Any]:
    report = {"status": "ok", "database": _database(), "keys": _keys()}
    if any(v != "ok" for k, v in report.items() if k != "status"):
        report["status"] = "degraded"
    # Reported, not judged: the index rebuilds itself, and search waiting is no reason to
    # stop serving. Registered by the search package (core cannot import it).
    reporter = current_app.extensions.get("spc_search_status")
    if reporter is not None and report["database"] == "ok":
        try:
            report["search"] = reporter()
        except Exception:
            current_app.logger.exception("health check: search index unreadable")
            db.session.rollback()
            report["search"] = "unreadable"
    return report
