"""Health, readiness and metrics: no sign-in, no database write."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from coop_platform.core.health import check_health, check_readiness
from coop_platform.core.observability import metrics_payload
from coop_platform.mail.outbox import outbox_state

bp = Blueprint("core", __name__)


def _operator() -> bool:
    """A client address of SPC_METRICS_ALLOWED: the operators' monitoring."""
    return request.remote_addr in current_app.config["METRICS_ALLOWED"]


def _answer(report: dict[str, Any]) -> ResponseReturnValue:
    """The whole report to the operators; to anyone else ok or not ok, nothing more (the
    search entries and the mail queue moved with every save: a stranger could watch
    people work)."""
    status = 200 if report["status"] == "ok" else 503
    return jsonify(report if _operator() else {"status": report["status"]}), status


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return _answer(check_health())


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    return _answer(check_readiness())


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics, for the configured addresses only; anyone else finds nothing."""
    if not _operator():
        abort(404)
    payload, content_type = metrics_payload(outbox_state())
    return Response(payload, content_type=content_type)
