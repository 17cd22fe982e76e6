"""The health check: no sign-in, no database write."""

from __future__ import annotations

from flask import Blueprint, jsonify

from coop_platform.core.health import check_health

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    report = check_health()
    return jsonify(report), 200 if report["status"] == "ok" else 503
