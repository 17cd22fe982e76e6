"""Fixtures: the app on every configured database, a client, factories and a real login.

The whole suite runs on SQLite, and again on PostgreSQL when SPC_TEST_DATABASE_URL is set.
Each test starts from empty tables (and a fresh chain head); keys are made in a temp folder.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from werkzeug.serving import make_server

from config import TestConfig, normalise_database_url
from coop_platform import ROOT, create_app
from coop_platform.audit.models import GENESIS_HASH
from coop_platform.auth import passwords, totp
from coop_platform.auth.models import User
from coop_platform.auth.services.common import encrypt_totp_secret, replace_recovery_codes
from coop_platform.core.sqlite import creating_allowed
from coop_platform.crypto.keyring import KeyRing
from coop_platform.extensions import db, limiter
from coop_platform.states.models import State
from coop_platform.states.services import load_states
from tests.support.databases import create_database, drop_database, worker_database_url
from tests.support.rfc6238 import code_for

MIGRATIONS = str(ROOT / "migrations")
# Under pytest-xdist each worker has a database of its own beside the configured one (its
# name suffixed with the worker's id), created when the worker starts, dropped when it ends.
PG_BASE_URL = normalise_database_url(os.environ.get("SPC_TEST_DATABASE_URL"))
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = worker_database_url(PG_BASE_URL, WORKER) if PG_BASE_URL else None
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "granite-harbor-willow-meadow-71"
DEFAULT = object()  # "the usual State for this role": FRA for focal points, none otherwise
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_test_config(base, backend: str) -> TestConfig:
    cfg = TestConfig()
    cfg.INSTANCE_DIR = base / "instance"
    cfg.KEYS_DIR = base / "keys"
    cfg.SQLALCHEMY_DATABASE_URI = (
        PG_URL if backend == "postgresql" else f"sqlite:///{base / 'test.db'}"
    )
    return cfg


def pytest_sessionstart(session):
    if PG_URL and PG_URL != PG_BASE_URL:
        create_database(PG_URL)


def pytest_sessionfinish(session, exitstatus):
    if PG_URL and PG_URL != PG_BASE_URL:
        drop_database(PG_URL)


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(request.param)
    KeyRing(base / "keys").init()
    application = create_app(make_test_config(base, request.param))
    with application.app_context(), creating_allowed():
        _drop_everything()
        # The suite runs on the schema the migrations build, as production does (the
        # migration tests check separately that it equals the models). Only migrations
        # create a database file, as `flask db upgrade` does.
        upgrade(directory=MIGRATIONS)
    yield application
    with application.app_context():
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        if db.engine.dialect.name == "postgresql":
            # Table names come from our own metadata, not from input.
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))  # noqa: S608
        else:
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
        db.session.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
        )
        db.session.commit()
        limiter.reset()
    shutil.rmtree(application.config["BLOB_DIR"], ignore_errors=True)
    # The embedded search index follows the tables it was built from.
    from coop_platform.search.whoosh import index as whoosh_index

    whoosh_index.forget(application)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def states(app):
    with app.app_context():
        if not db.session.scalar(select(State.id).limit(1)):
            load_states()
        db.session.remove()


@dataclass
class Account:
    email: str
    password: str
    secret: str
    public_id: str
    id: int
    role: str
    recovery_codes: list[str]


_counter = itertools.count(1)


@pytest.fixture
def make_user(app, states):
    """An active, enrolled account (the fast way: invitation flows have their own tests)."""

    def factory(role: str = "focal_point", state: str | None | object = DEFAULT,
                email: str | None = None, password: str = PASSWORD,
                status: str = "active") -> Account:
        if state is DEFAULT:
            state = "FRA" if role == "focal_point" else None
        email = email or f"{role}.{next(_counter)}@example.org"
        secret = totp.new_secret()
        with app.app_context():
            st = db.session.scalars(select(State).where(State.iso3 == state)).one() if state else None
            user = User(email=email, role=role, state=st, status=status,
                        password_hash=passwords.hash_password(password))
            db.session.add(user)
            db.session.flush()
            user.totp_secret = encrypt_totp_secret(user, secret)
            codes = replace_recovery_codes(user)
            db.session.commit()
            made = Account(email, password, secret, user.public_id, user.id, role, codes)
            db.session.remove()
        return made

    return factory


def csrf_token(client, path: str = "/auth/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def next_code(app, user: Account) -> str:
    """A code the platform has not seen yet: now, or the next step if now was already used."""
    with app.app_context():
        last = db.session.scalar(select(User.totp_last_step).where(User.id == user.id))
        db.session.remove()
    now_step = int(time.time()) // totp.STEP_SECONDS
    for offset in (0, 1):
        if now_step + offset > last:
            return code_for(user.secret, offset_steps=offset)
    pytest.fail("no unused TOTP step left in the window; freeze time in this test")


def post_form(client, path: str, data: dict, token_path: str | None = None, **kw):
    data = {"csrf_token": csrf_token(client, token_path or path), **data}
    return client.post(path, data=data, **kw)


def login(client, app, user: Account, code: str | None = None):
    """The real two-step login through the pages; returns the response to the code step."""
    response = post_form(client, "/auth/login", {"email": user.email, "password": user.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/auth/second-factor")
    return post_form(client, "/auth/second-factor", {"code": code or next_code(app, user)})


@pytest.fixture
def logged_in(app, make_user):
    """A signed-in client for a new account of the given role: returns (client, user)."""

    def factory(role: str = "focal_point", state: str | None | object = DEFAULT):
        user = make_user(role=role, state=state)
        c = app.test_client()
        response = login(c, app, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        c.account = user  # scenario builders act as this person through the services
        return c, user

    return factory


@pytest.fixture
def live_server(app):
    """The real app behind werkzeug's threaded HTTP server, on a free loopback port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


class DeliveredMail(list):
    """The e-mails the outbox delivered; reading it first runs the sender, as the mail
    service would (requests only write to the outbox)."""

    def __init__(self, app) -> None:
        super().__init__()
        self._app = app

    def _drain(self) -> None:
        from coop_platform.mail import outbox as mail

        with self._app.app_context():
            mail.send_due(limit=10_000)
            db.session.remove()

    def __iter__(self):
        self._drain()
        return super().__iter__()

    def __len__(self) -> int:
        self._drain()
        return super().__len__()

    def __bool__(self) -> bool:
        return len(self) > 0

    def clear(self) -> None:
        self._drain()
        super().clear()


@pytest.fixture
def outbox(app, monkeypatch):
    from coop_platform.mail import outbox as mail

    delivered = DeliveredMail(app)
    monkeypatch.setattr(mail, "deliver", lambda message: list.append(delivered, message))
    return delivered


class Inbox:
    """A real SMTP server's mailbox (aiosmtpd), or a server that refuses everything."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "451 Try again later"
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port (the controller needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    yield inbox
    app.config.update(SMTP_HOST=None, SMTP_PORT=587, SMTP_STARTTLS=True)
    controller.stop()
