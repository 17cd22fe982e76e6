"""What /healthz reports: the database answers and the keys are loaded."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from coop_platform.extensions import db, keyring


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
    return report

