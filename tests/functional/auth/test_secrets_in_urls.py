"""No secret that travels in a URL is ever stored or logged raw (invitation and re-enrolment
tokens): after refused requests, no table and no log line holds the token."""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlparse

import requests
from sqlalchemy import select

from coop_platform.auth.services import accounts, invitations
from coop_platform.extensions import db
from tests.conftest import csrf_token


def every_stored_value(app) -> str:
    """Every row of every table, as text, with every sealed value opened too: a secret must
    not be stored, sealed or not."""
    from coop_platform.crypto.fields import sealed_models

    with app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                dump.append(" ".join(str(v) for v in row))
        for model, fields in sealed_models().items():
            for obj in db.session.scalars(select(model)):
                dump.append(" ".join(getattr(obj, name) for name in fields))
        db.session.remove()
        return "\n".join(dump)


def refuse_everything(app, client, path: str) -> list[int]:
    """A POST without a CSRF token, one with a stale token, then past the rate limit."""
    statuses = [client.post(path, data={"password": "x", "code": "1"}).status_code,
                client.post(path, data={"csrf_token": "stale." + "a" * 40, "code": "1"}
                            ).status_code]
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        token = csrf_token(client, path)
        statuses += [client.post(path, data={"csrf_token": token, "password": "short",
                                             "code": "000000"}).status_code for _ in range(3)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return statuses


def test_refused_invitation_requests_store_and_log_no_token(app, states, make_user, caplog,
                                                            live_server):
    user = make_user()
    with app.app_context():
        _, invite_url = invitations.invite("new.person@example.org", "focal_point", "SEN", None)
        reset_url = accounts.reset_second_factor(accounts.get_user(user.public_id), None)
        db.session.remove()
    caplog.set_level(logging.INFO)
    for url in (invite_url, reset_url):
        path = urlparse(url).path
        token = path.rsplit("/", 1)[1]
        statuses = refuse_everything(app, app.test_client(), path)
        assert statuses[:2] == [400, 400]
        assert statuses[-1] == 429
        # Over real HTTP too, so werkzeug's access log sees the path.
        assert requests.get(live_server + path, timeout=10).status_code == 200
        assert requests.post(live_server + path, data={"code": "1"},
                             timeout=10).status_code == 400

        stored = every_stored_value(app)
        assert token not in stored
        assert token not in caplog.text
        # What is recorded instead: the route's rule with a short fingerprint of the secret.
        fingerprint = "[sha256:" + hashlib.sha256(token.encode()).hexdigest()[:8] + "]"
        assert f"/auth/invitation/{fingerprint}" in stored
        assert f"/auth/invitation/{fingerprint}" in caplog.text
