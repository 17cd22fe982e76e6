"""What operators see: readiness, metrics for allowed addresses only, a request id, and one
log line per request that carries no secret (JSON in production)."""

from __future__ import annotations

import json
import logging
import re

from coop_platform.core.observability import JsonFormatter
from coop_platform.extensions import limiter
from tests.conftest import post_form


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in the Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_readiness_reports_every_dependency(client, monkeypatch):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    report = ready.get_json()
    search = report.pop("search")
    assert search["pending_changes"] == 0
    assert search["oldest_pending_seconds"] is None
    assert report == {"status": "ok", "database": "ok", "keys": "ok", "blob_store": "ok",
                                "rate_limit_store": "ok", "mail": "log only",
                                "mail_outbox": {"pending": 0, "failed": 0,
                                                "oldest_pending_seconds": None}}
    monkeypatch.setattr(limiter.storage, "check", lambda: False)
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["rate_limit_store"] == "unreachable"


def test_metrics_are_for_allowed_addresses_only(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1


def test_metrics_count_requests_by_route_and_security_events(app, client, make_user):
    before = client.get("/metrics").get_data(as_text=True)
    user = make_user()
    post_form(client, "/auth/login", {"email": user.email, "password": "wrong-password-1"})
    token = "T" * 43
    client.get(f"/auth/invitation/{token}")
    after = client.get("/metrics").get_data(as_text=True)

    def grew(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("spc_requests_total", method="POST", route="/auth/login", status="400") == 1
    assert grew("spc_audit_events_total", action="login.failure", outcome="failure") == 1
    assert grew("spc_requests_total", method="GET", route="/auth/invitation/<token>",
                status="410") == 1
    assert token not in after


def test_every_response_has_a_request_id_and_one_log_line_without_secrets(client, caplog):
    caplog.set_level(logging.INFO, logger="coop_platform.requests")
    first = client.get("/auth/login?next=/documents/&secret=HUNTER2")
    second = client.get("/auth/login")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert ids[0] != ids[1]
    lines = [r for r in caplog.records if r.name == "coop_platform.requests"]
    assert [r.fields["request_id"] for r in lines] == ids
    assert lines[0].fields["route"] == "/auth/login"
    assert lines[0].fields["status"] == 200
    rendered = JsonFormatter().format(lines[0])
    decoded = json.loads(rendered)
    assert decoded["request_id"] == ids[0]
    assert decoded["route"] == "/auth/login"
    assert "HUNTER2" not in rendered
