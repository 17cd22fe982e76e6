"""What /healthz (liveness) and /readyz (readiness) report."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from coop_platform.core.mail import outbox_state
from coop_platform.extensions import db, keyring, limiter


def check_readiness() -> dict:
    """Whether this process can serve: database, rate-limit store (Redis in production,
    shared by workers), keys, and how e-mail leaves."""
    report = check_health()
    try:
        store = "ok" if limiter.storage.check() else "unreachable"
    except Exception:
        current_app.logger.exception("readiness check: rate-limit store unreachable")
        store = "unreachable"
    report["rate_limit_store"] = store
    report["mail"] = "smtp" if current_app.config.get("SMTP_HOST") else "log only"
    try:
        outbox = outbox_state()
        report["mail_outbox"] = {"pending": outbox.pending, "failed": outbox.failed,
                                 "oldest_pending_seconds": outbox.oldest_pending_seconds}
    except Exception:
        current_app.logger.exception("readiness check: mail outbox unreadable")
        db.session.rollback()
        report["mail_outbox"] = "unreadable"
    # A stuck outbox is for the operators (metrics, alerts), not a reason to stop serving.
    if store != "ok":
        report["status"] = "degraded"
    return report


def check_health() -> dict:
    report = {"status": "ok", "database": "ok", "keys": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        report["database"] = "unreachable"
    if not keyring().is_initialised():
        report["keys"] = "missing"
    if any(v != "ok" for k, v in report.items() if k != "status"):
        report["status"] = "degraded"
    # Reported, not judged: the index rebuilds itself, and search waiting is no reason to
    # stop serving. Registered by the search package (core cannot import it).
    reporter = current_app.extensions.get("spc_search_status")
    if reporter is not None:
        try:
            report["search"] = reporter()
        except Exception:
            current_app.logger.exception("health check: search index unreadable")
            db.session.rollback()
            report["search"] = "unreadable"
    return report

