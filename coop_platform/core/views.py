"""Health, readiness and metrics: no sign-in, no database write."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from coop_platform.core.health import check_health, check_readiness
from coop_platform.core.mail import outbox_state
from coop_platform.core.observability import metrics_payload

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    report = check_health()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@bp.get("/readyz")
def readyz():
    report = check_readiness()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@bp.get("/metrics")
def metrics():
    """Prometheus metrics, for the configured addresses only; anyone else finds nothing."""
    if request.remote_addr not in current_app.config["METRICS_ALLOWED"]:
        abort(404)
    payload, content_type = metrics_payload(outbox_state())
    return Response(payload, content_type=content_type)
