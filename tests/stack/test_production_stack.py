"""The production stack for real: nginx (TLS) → gunicorn with 4 workers → PostgreSQL and
Redis, started as `make serve-prod` starts it (deploy/serve_prod.py) and driven over HTTPS.

It shows what one process cannot: the failures that lock an account, the per-address delay
and the rate limit are counted the same whichever worker answers. Runs where PostgreSQL is
configured for the suite (CI always); nginx missing is a skip on a workstation, a failure
in CI."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import select

from config import TestConfig
from coop_platform import ROOT, create_app
from coop_platform.audit.models import AuditEvent
from coop_platform.auth import passwords, totp
from coop_platform.auth.models import User
from coop_platform.auth.services.common import encrypt_totp_secret
from coop_platform.extensions import db
from tests.conftest import PASSWORD, PG_URL
from tests.support.rfc6238 import code_for

sys.path.insert(0, str(ROOT / "deploy"))
import serve_prod  # noqa: E402

from tests.support.builders import person

pytestmark = pytest.mark.stack
IN_CI = os.environ.get("CI") == "true"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REDIS_DB = 14  # the stack's own counters, emptied first (15 is the config tests')


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not PG_URL:
        pytest.skip("the stack runs on PostgreSQL (SPC_TEST_DATABASE_URL)")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        if IN_CI:
            pytest.fail("nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    base, _, _ = PG_URL.rpartition("/")
    database_url = f"{base}/spc_stack_{uuid.uuid4().hex[:8]}"
    running = serve_prod.Stack(
        tmp_path_factory.mktemp("stack"), database_url,
        redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}", http_port=_free_port(),
        https_port=_free_port(), app_port=_free_port(), workers=4, max_upload_mb=1,
        # nginx keeps its connections to gunicorn: one request per connection here, so that
        # the tests' sequential requests spread over the four workers as they claim.
        upstream_requests_per_connection=1,
        # Argon2 at test cost (the login path is what is tested, not the hash's price); the
        # per-address delay capped at 1 s so that waiting it out stays short.
        extra_env={"SPC_ARGON2_TIME_COST": "1", "SPC_ARGON2_MEMORY_COST": "8192",
                   "SPC_ARGON2_PARALLELISM": "1", "SPC_THROTTLE_MAX_DELAY": "1",
                   "SPC_LOGIN_RATE_LIMIT": "40 per minute"})
    serve_prod.start(running)
    yield running
    serve_prod.stop(running)
    import psycopg

    with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rpartition("/")[2]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def app_on_stack(stack):
    """The app in this process, on the stack's database and keys (to make accounts)."""
    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = stack.database_url
    cfg.KEYS_DIR = stack.directory / "keys"
    cfg.INSTANCE_DIR = stack.directory / "test-instance"
    application = create_app(cfg)
    yield application
    with application.app_context():
        db.engine.dispose()


def _account(app, email: str) -> str:
    """An active focal point of France with a password and an authenticator; its secret."""
    secret = totp.new_secret()
    with app.app_context():
        from coop_platform.states.models import State

        user = User(email=email, role="focal_point", status="active",
                    state=db.session.scalars(select(State).where(State.iso3 == "FRA")).one(),
                    password_hash=passwords.hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        user.totp_secret = encrypt_totp_secret(user, secret)
        db.session.commit()
        db.session.remove()
    return secret


def _client(stack) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the stack's certificate
    session.verify = str(stack.cert)
    return session


def _token(session, url: str) -> str:
    return CSRF.search(session.get(url).text).group(1)


def _post(session, url: str, data: dict, referer: bool = True) -> requests.Response:
    """A form posted as a browser posts it under Referrer-Policy: same-origin."""
    headers = {"Referer": url} if referer else {}
    return session.post(url, data={"csrf_token": _token(session, url), **data},
                        headers=headers, allow_redirects=False)


def _patiently(send) -> requests.Response:
    """Send again after the per-address delay, as a person would (earlier failures from this
    address, in other tests, may have started one)."""
    for _ in range(10):
        answer = send()
        if answer.status_code != 429:
            return answer
        time.sleep(int(answer.headers["Retry-After"]))
    return answer


def _login(session, stack, email: str, password: str) -> requests.Response:
    return _post(session, f"{stack.url}/auth/login", {"email": email, "password": password})


def test_http_is_redirected_and_https_carries_the_security_headers(stack):
    plain = requests.get(f"http://localhost:{stack.http_port}/documents/?page=2",
                         allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"{stack.url}/documents/?page=2"
    health = _client(stack).get(f"{stack.url}/healthz", timeout=10)
    report = health.json()
    assert report.pop("search")["backend"] == "postgresql"  # the production default on it
    assert report == {"status": "ok", "database": "ok", "keys": "ok"}
    assert health.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "X-Request-ID" in health.headers  # answered by the app
    ready = _client(stack).get(f"{stack.url}/readyz", timeout=10).json()
    assert ready["rate_limit_store"] == "ok"
    assert ready["status"] == "ok"


def test_static_files_come_from_nginx_and_big_bodies_stop_there(stack):
    css = _client(stack).get(f"{stack.url}/static/css/app.css", timeout=10)
    assert css.status_code == 200
    assert "X-Request-ID" not in css.headers  # the app never saw it
    assert css.headers["Cache-Control"] == "public, max-age=3600"
    assert css.headers["Strict-Transport-Security"].startswith("max-age=")
    # The upload limit is 1 MiB here: nginx refuses 3 MiB before any worker reads it.
    too_big = _client(stack).post(f"{stack.url}/documents/new", data=b"x" * (3 * 1024 * 1024),
                                  headers={"Content-Type": "application/octet-stream"},
                                  timeout=30)
    assert too_big.status_code == 413
    assert "X-Request-ID" not in too_big.headers


def test_over_https_a_form_needs_the_same_origin_referer(stack, app_on_stack):
    """The CSRF check's second half: a form posted without our Referer (as from another
    site, whose address the browser would send) is refused, token or not."""
    _account(app_on_stack, "referer.check@example.org")
    session = _client(stack)
    bare = _post(session, f"{stack.url}/auth/login",
                 {"email": "referer.check@example.org", "password": PASSWORD}, referer=False)
    assert bare.status_code == 400
    page = session.get(f"{stack.url}/")
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_the_access_log_keeps_no_secret(stack):
    token = "SECRET" + "x" * 37
    _client(stack).get(f"{stack.url}/auth/invitation/{token}?next=/documents/secretquery")
    time.sleep(0.5)
    log = (stack.directory / "nginx" / "access.log").read_text()
    assert "/auth/invitation/[token]" in log
    assert "SECRET" not in log
    assert "secretquery" not in log


def test_a_session_holds_across_workers(stack, app_on_stack):
    secret = _account(app_on_stack, "across.workers@example.org")
    session = _client(stack)
    assert _patiently(lambda: _login(session, stack, "across.workers@example.org",
                                     PASSWORD)).status_code == 302
    done = _patiently(lambda: _post(session, f"{stack.url}/auth/second-factor",
                                    {"code": code_for(secret)}))
    assert done.status_code == 302
    # Many requests, spread over the 4 workers by the kernel: signed in on every one.
    for _ in range(16):
        page = session.get(f"{stack.url}/documents/", allow_redirects=False)
        assert page.status_code == 200
        assert "across.workers@example.org" in page.text
    # Each worker that answered anything keeps its own metrics file: the spread was real.
    assert len(list((stack.directory / "instance" / "metrics").glob("counter_*.db"))) > 1


def test_lockout_and_the_address_delay_are_shared_by_the_workers(stack, app_on_stack):
    _account(app_on_stack, "locked.out@example.org")
    session = _client(stack)
    waits, failures = [], 0
    while failures < 10:  # MAX_FAILED_PASSWORDS, spread over the workers
        answer = _login(session, stack, "locked.out@example.org", "wrong-password-123456")
        if answer.status_code == 429:  # the per-address delay, from whichever worker
            assert "Too many failed attempts from your address" in answer.text, answer.text[-900:]
            waits.append(answer.headers["Retry-After"])
            assert len(waits) < 20
            time.sleep(int(answer.headers["Retry-After"]))
            continue
        assert answer.status_code == 400, answer.status_code
        failures += 1
    # Past the third failure the address waited each time; exactly the delay (capped at 1 s
    # here), not the rate limit's minute.
    assert len(waits) >= 6
    assert set(waits) == {"1"}
    while (answer := _login(session, stack, "locked.out@example.org", PASSWORD)).status_code \
            == 429:
        time.sleep(int(answer.headers["Retry-After"]))
    assert answer.status_code == 403  # the right password meets a locked account
    assert "this account is locked" in answer.text
    with app_on_stack.app_context():
        user = person("locked.out@example.org")
        lockouts = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "login.lockout", AuditEvent.actor_id == user.id)).all()
        assert user.locked_until is not None
        db.session.remove()
    assert len(lockouts) == 1  # ten failures over four workers lock once


def test_a_code_works_once_and_signing_out_ends_every_session(stack, app_on_stack):
    secret = _account(app_on_stack, "two.sessions@example.org")
    first, second = _client(stack), _client(stack)
    code, step = code_for(secret), f"{stack.url}/auth/second-factor"
    assert _patiently(lambda: _login(first, stack, "two.sessions@example.org",
                                     PASSWORD)).status_code == 302
    assert _patiently(lambda: _post(first, step, {"code": code})).status_code == 302
    # The same code, a moment later, through whichever worker: refused.
    assert _patiently(lambda: _login(second, stack, "two.sessions@example.org",
                                     PASSWORD)).status_code == 302
    assert _patiently(lambda: _post(second, step, {"code": code})).status_code == 400
    later = code_for(secret, offset_steps=1)
    assert _patiently(lambda: _post(second, step, {"code": later})).status_code == 302
    assert second.get(f"{stack.url}/documents/", allow_redirects=False).status_code == 200
    # Signing out in the first ends the second too, on every worker.
    out = _post(first, f"{stack.url}/auth/logout", {})
    assert out.status_code in (302, 303)
    for _ in range(12):
        page = second.get(f"{stack.url}/documents/", allow_redirects=False)
        assert page.status_code == 302
        assert "/auth/login" in page.headers["Location"]


def _upload(stack, session, text: str) -> str:
    """A text document of the focal point's State; returns its download path."""
    url = f"{stack.url}/documents/new"
    answer = _patiently(lambda: session.post(url, headers={"Referer": url}, allow_redirects=False,
                                             data={"csrf_token": _token(session, url),
                                                   "title": "Rotation check", "summary": "",
                                                   "document_type": "procedure",
                                                   "topics": ["freezing"], "language": "en",
                                                   "classification": "restricted",
                                                   "audience": "all_states"},
                                             files={"file": ("note.txt", text.encode(),
                                                             "text/plain")}))
    assert answer.status_code == 303, answer.status_code
    location = answer.headers["Location"]
    page = session.get(stack.url + location if location.startswith("/") else location).text
    return re.search(r'href="(/documents/[^"]+/download)"', page).group(1)


def test_a_key_rotation_reaches_every_running_worker(stack, app_on_stack):
    """`keys rotate document` while four workers serve: files made before and after it open
    on every worker, without a restart, and every data key is rewrapped under the new KEK."""
    import subprocess

    from coop_platform.documents.models import DocumentVersion

    secret = _account(app_on_stack, "rotation@example.org")
    session = _client(stack)
    assert _patiently(lambda: _login(session, stack, "rotation@example.org",
                                     PASSWORD)).status_code == 302
    assert _patiently(lambda: _post(session, f"{stack.url}/auth/second-factor",
                                    {"code": code_for(secret)})).status_code == 302
    before = _upload(stack, session, "Written under the first key. " * 100)
    rotated = subprocess.run([str(serve_prod.BIN / "flask"), "--app", "wsgi", "keys",  # noqa: S603
                              "rotate", "document"], cwd=ROOT, env=stack.env(),
                             capture_output=True, text=True, timeout=120, check=False)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "new active key document-0002" in rotated.stdout
    after = _upload(stack, session, "Written under the second key. " * 100)
    for _ in range(8):  # over the workers, each of which started before the rotation
        assert session.get(stack.url + before).text == "Written under the first key. " * 100
        assert session.get(stack.url + after).text == "Written under the second key. " * 100
    with app_on_stack.app_context():
        keks = set(db.session.scalars(select(DocumentVersion.kek_id)))
        db.session.remove()
    assert keks == {"document-0002"}


def test_the_audit_chain_written_by_four_workers_verifies(stack):
    """Every test above appended from several workers at once; the chain holds."""
    import subprocess

    result = subprocess.run([str(serve_prod.BIN / "flask"), "--app", "wsgi", "audit",  # noqa: S603
                             "verify"],
                            cwd=ROOT, env=stack.env(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    count = int(re.search(r"audit chain intact: (\d+) records", result.stdout).group(1))
    assert count >= 30  # sign-ins, failures, the lockout, refusals, sign-outs


def _readyz_count(app_url: str) -> float:
    text = requests.get(app_url + "/metrics", headers={"Connection": "close"}, timeout=10).text
    found = re.search(r'^spc_requests_total\{method="GET",route="/readyz",status="200"\} (\S+)$',
                      text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_one_scrape_counts_the_requests_of_every_worker(stack):
    """Prometheus scrapes one worker at a time: each answer must add up all four workers'
    counters. Straight to gunicorn, a new connection each time (nginx would keep one open to
    a single worker), until at least two workers have counted: then every worker's own share
    is less than the whole, so a scrape that showed one worker's counters would fall short."""
    app_url = f"http://127.0.0.1:{stack.app_port}"
    files = stack.directory / "instance" / "metrics"
    before, sent = _readyz_count(app_url), 0
    while sent < 40 or len(list(files.glob("counter_*.db"))) < 2:
        assert sent < 2000, "the requests never reached a second worker"
        assert requests.get(app_url + "/readyz", headers={"Connection": "close"}, timeout=10).ok
        sent += 1
    assert [_readyz_count(app_url) for _ in range(8)] == [before + sent] * 8


def test_the_rate_limit_is_one_counter_for_all_workers(stack):
    """40 sign-in posts a minute from one address (this stack's setting): with a counter per
    worker, 4 workers would let 160 through. The 429 says when the window reopens. Last: it
    spends the address's allowance for the minute."""
    session = _client(stack)
    limited = None
    for _ in range(45):
        answer = _login(session, stack, "nobody@example.org", "wrong-password-123456")
        if answer.status_code == 429 and "Too many requests from your address" in answer.text:
            limited = answer
            break
    assert limited is not None
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
