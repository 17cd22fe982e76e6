"""What operators see of the running platform: a request id on every response, one log line
per request (JSON in production), Prometheus metrics for configured addresses only.

Never in a log line or a metric: query strings, form fields, codes, tokens or content. Routes
are labelled by their rule (/documents/<pid:public_id>), not by the path, so labels stay few
and secrets in paths never reach them. Security events are counted from the audit trail
(one counter by action and outcome: sign-in failures, lockouts, uploads, integrity failures).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request, session
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry()
REQUESTS = Counter("spc_requests", "HTTP requests answered, by route and status.",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("spc_request_duration_seconds", "Time to answer a request, by route.",
                    ["route"], registry=REGISTRY,
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
AUDIT_EVENTS = Counter("spc_audit_events", "Audit records appended, by action and outcome.",
                       ["action", "outcome"], registry=REGISTRY)
log = logging.getLogger("coop_platform.requests")


def count_audit_event(action: str, outcome: str) -> None:
    AUDIT_EVENTS.labels(action=action, outcome=outcome).inc()


class _OutboxFigures:
    """The mail outbox as gauges, read from the database at each scrape, so whichever worker
    answers reports the same figures."""

    def __init__(self, outbox: Any) -> None:
        self.outbox = outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("spc_mail_outbox_pending", "E-mails waiting to be sent.",
                                value=self.outbox.pending)
        yield GaugeMetricFamily("spc_mail_outbox_failed", "E-mails that ran out of attempts.",
                                value=self.outbox.failed)
        yield GaugeMetricFamily("spc_mail_outbox_oldest_pending_seconds",
                                "Age of the oldest e-mail waiting to be sent (0 when none).",
                                value=self.outbox.oldest_pending_seconds or 0)


def metrics_payload(outbox: Any = None) -> tuple[bytes, str]:
    """The counters of every worker process added up when gunicorn runs several (they write
    them to files in PROMETHEUS_MULTIPROC_DIR, set by deploy/gunicorn.conf.py), else this
    process's own; then the outbox figures."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    payload = generate_latest(registry)
    if outbox is not None:
        figures = CollectorRegistry()
        figures.register(_OutboxFigures(outbox))
        payload += generate_latest(figures)
    return payload, CONTENT_TYPE_LATEST


def route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "(no matching route)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a record's `fields` (from `extra`) are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = secrets.token_hex(8)

    @app.after_request
    def _observe(response: Response) -> Response:
        started = getattr(g, "request_started", None)
        if started is None:
            return response
        duration = time.perf_counter() - started
        route = route_label()
        REQUESTS.labels(method=request.method, route=route,
                        status=str(response.status_code)).inc()
        LATENCY.labels(route=route).observe(duration)
        user_id, _, _generation = (session.get("_user_id") or "").partition(":")
        log.info("%s %s %s %.1f ms", request.method, route, response.status_code,
                 duration * 1000, extra={"fields": {
            "request_id": g.request_id, "method": request.method, "route": route,
            "status": response.status_code, "duration_ms": round(duration * 1000, 1),
            "user_id": user_id or None, "state": session.get("state_iso3"),
            "address": getattr(g, "client_address", ""),
        }})
        response.headers["X-Request-ID"] = g.request_id
        return response


def configure_production_logging(app: Flask) -> None:
    """JSON lines on stderr for the platform's loggers (a log shipper reads them)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("coop_platform", "werkzeug", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
