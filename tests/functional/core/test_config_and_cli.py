"""Configurations, demo commands, key commands, rate limits."""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from config import ConfigError, ProductionConfig
from coop_platform import create_app
from coop_platform.auth.models import User
from coop_platform.core.sqlite import creating_allowed
from coop_platform.crypto.keyring import KeyPermissionError, KeyRing
from coop_platform.extensions import db
from tests.conftest import MIGRATIONS, PASSWORD, make_test_config, post_form
from tests.support.builders import person


def production_config(tmp_path, **overrides):
    cfg = ProductionConfig()
    cfg.INSTANCE_DIR = tmp_path / "instance"
    cfg.KEYS_DIR = tmp_path / "keys"
    cfg.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.db'}"
    cfg.RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/15"
    cfg.PUBLIC_BASE_URL = "https://cooperation.example.org"
    # These check the configuration, on a database never migrated; the refusal to serve
    # such a database is tests/faults/test_database_faults.py's.
    cfg.CHECK_SCHEMA_AT_START = False
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SQLALCHEMY_DATABASE_URI": None}, "SPC_DATABASE_URL"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
        ({"PUBLIC_BASE_URL": "http://cooperation.example.org"}, "https://"),
    ],
)
def test_production_refuses_unsafe_configuration(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        create_app(production_config(tmp_path, **override))


def test_production_sets_secure_cookies_and_hsts(tmp_path):
    KeyRing(tmp_path / "keys").init()
    app = create_app(production_config(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ALLOWED"] is False
    response = app.test_client().get("/healthz")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_app_refuses_keys_readable_by_others(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    ring.init()
    os.chmod(ring.status()[0].path, 0o644)
    with pytest.raises(KeyPermissionError):
        create_app(make_test_config(tmp_path, "sqlite"))


def test_without_keys_pages_answer_503_and_keys_init_fixes_it(tmp_path):
    app = create_app(make_test_config(tmp_path, "sqlite"))
    client = app.test_client()
    assert client.get("/auth/login").status_code == 503
    assert client.get("/healthz").get_json()["keys"] == "missing"
    result = app.test_cli_runner().invoke(args=["keys", "init"])
    assert result.exit_code == 0
    assert "created session-0001" in result.output
    again = app.test_cli_runner().invoke(args=["keys", "init"])
    assert "nothing created" in again.output
    status = app.test_cli_runner().invoke(args=["keys", "status"])
    assert "totp-0001\tactive" in status.output
    assert client.get("/auth/login").status_code == 200


def test_seed_demo_and_demo_code(app, runner, states):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "DEMO ONLY" in result.output
    assert "TOTP key:" in result.output
    assert result.output.count("password: ") == 8
    with app.app_context():
        demo = db.session.scalars(select(User).where(User.is_demo.is_(True))).all()
        assert {u.role for u in demo} == {"admin", "moderator", "focal_point", "court"}
        groups = {u.state.regional_group for u in demo if u.state}
        assert groups == {"AFR", "APS", "EEU", "GRULAC", "WEOG"}
    code = runner.invoke(args=["demo-code", "focal.fra@demo.spc.invalid"])
    assert code.exit_code == 0
    assert code.output.strip().isdigit()
    assert len(code.output.strip()) == 6
    again = runner.invoke(args=["seed-demo"])
    assert "(unchanged" in again.output
    from coop_platform.documents.models import Document
    from coop_platform.documents.services.visibility import visible_documents

    with app.app_context():
        statuses = sorted(db.session.scalars(select(Document.status)))
        assert statuses == ["pending"] * 2 + ["published"] * 5  # made once, not again
        japan = person("focal.jpn@demo.spc.invalid")
        titles = {d.title for d in db.session.scalars(visible_documents(japan))}
        assert not any("Asset recovery law" in t for t in titles)  # shared with FRA, SEN, POL only
        assert any("Draft guidance" in t for t in titles)  # its own pending document
        # The Secretariat's guidance is published; the Registry's waits for moderation.
        assert any(t.startswith("Checklist: what a Court request") for t in titles)
        assert not any(t.startswith("Registry note") for t in titles)
        owners = sorted(str(o) for o in db.session.scalars(select(Document.owner_organ))
                        if o)
        assert owners == ["registry", "secretariat"]


def test_demo_code_refuses_real_accounts(runner, make_user):
    user = make_user()
    result = runner.invoke(args=["demo-code", user.email])
    assert result.exit_code != 0
    assert "Only demo accounts" in result.output


def test_demo_commands_refused_in_production(tmp_path):
    KeyRing(tmp_path / "keys").init()
    app = create_app(production_config(tmp_path))
    with app.app_context(), creating_allowed():
        upgrade(directory=MIGRATIONS)
        db.engine.dispose()
    runner = app.test_cli_runner()
    for args in (["seed-demo"], ["demo-code", "admin@demo.spc.invalid"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert "production" in result.output


def test_login_is_rate_limited_per_address(tmp_path, make_user, app):
    KeyRing(tmp_path / "keys").init()
    cfg = make_test_config(tmp_path, "sqlite")
    cfg.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
    cfg.LOGIN_RATE_LIMIT = "3 per minute"
    limited = create_app(cfg)
    user = make_user()
    client = limited.test_client()
    responses = [
        post_form(client, "/auth/login", {"email": user.email, "password": "x" + PASSWORD})
        for _ in range(4)
    ]
    page = client.get("/auth/login")
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()  # this second app shares the suite's database: close its pool
    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert "Too many requests" in responses[3].get_data(as_text=True)
    # Reading the page is not limited: only attempts are.
    assert page.status_code == 200


def test_growing_delay_per_address(app):
    from coop_platform.auth.services import codes

    with app.test_request_context():
        app.config["THROTTLE_BASE_DELAY"] = 0.5
        app.config["THROTTLE_MAX_DELAY"] = 4.0
        try:
            delays = []
            for _ in range(8):
                codes.note_address_failure("203.0.113.9")
                delays.append(codes.address_delay("203.0.113.9"))
            assert delays[:2] == [0.0, 0.0]
            assert delays[2:6] == [0.5, 1.0, 2.0, 4.0]
            assert max(delays) == 4.0
            assert codes.address_delay("198.51.100.1") == 0.0
        finally:
            app.config["THROTTLE_BASE_DELAY"] = 0.0
            app.config["THROTTLE_MAX_DELAY"] = 0.0


def test_production_refuses_to_serve_without_keys(tmp_path):
    with pytest.raises(ConfigError, match="keys init"):
        create_app(production_config(tmp_path))


def test_forwarded_address_is_trusted_only_behind_a_configured_proxy(tmp_path, app):
    from coop_platform.audit.models import AuditEvent

    KeyRing(tmp_path / "keys").init()
    for count, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        cfg = make_test_config(tmp_path, "sqlite")
        cfg.SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        cfg.PROXY_COUNT = count
        proxied = create_app(cfg)
        client = proxied.test_client()
        post_form(client, "/auth/login", {"email": "x@example.org", "password": "y" * 12},
                  headers={"X-Forwarded-For": "203.0.113.7"})
        with proxied.app_context():
            event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
            assert event.ip == expected
            db.session.remove()
            db.engine.dispose()


def test_a_development_run_shows_e_mails_without_their_body(tmp_path, caplog):
    from config import DevelopmentConfig
    from coop_platform.mail import outbox as mail

    KeyRing(tmp_path / "keys").init()
    cfg = DevelopmentConfig()
    cfg.INSTANCE_DIR = tmp_path / "instance"
    cfg.KEYS_DIR = tmp_path / "keys"
    cfg.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'dev.db'}"
    cfg.CHECK_SCHEMA_AT_START = False  # no database is read
    cfg.SMTP_HOST = None
    app = create_app(cfg)
    with app.app_context():
        mail.deliver(mail.Mail("fp@example.org", "A document awaits moderation",
                               "Open https://x.example/auth/invitation/SECRET-TOKEN"))
        db.engine.dispose()
    # Only the development logger's INFO level lets the record through (the default is
    # WARNING); `make run` shows it through Flask's handler on stderr.
    shown = [r.getMessage() for r in caplog.records if r.name == "coop_platform.mail.outbox"]
    assert shown == ["e-mail (no SMTP configured) to=fp@example.org "
                     "subject=A document awaits moderation"]


def test_make_run_prints_a_demo_code_command_that_works_from_the_root(runner, app, states):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "make demo-code EMAIL=" in result.output
    assert ".venv/bin/flask --app wsgi demo-code EMAIL" in result.output
    assert "\nCurrent code for a demo account: flask" not in result.output


def test_an_address_that_must_wait_gets_429_with_retry_after_instead_of_a_sleep(app, make_user):
    import time as clock

    from coop_platform.audit.models import AuditEvent

    user = make_user()
    client = app.test_client()
    app.config["THROTTLE_BASE_DELAY"] = 1.0
    app.config["THROTTLE_MAX_DELAY"] = 1.0
    try:
        wrong = {"email": user.email, "password": "wrong-" + PASSWORD}
        assert [post_form(client, "/auth/login", wrong).status_code
                for _ in range(3)] == [400, 400, 400]
        waiting = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
        assert waiting.status_code == 429
        # Exactly the address's wait (Flask-Limiter's window used to replace it: 60 s).
        assert waiting.headers["Retry-After"] == "1"
        assert "Try again in 1 second." in waiting.get_data(as_text=True)
        clock.sleep(1.1)  # the wait runs out on the server's clock, not in a worker
        assert post_form(client, "/auth/login", {"email": user.email,
                                                 "password": PASSWORD}).status_code == 302
    finally:
        app.config["THROTTLE_BASE_DELAY"] = 0.0
        app.config["THROTTLE_MAX_DELAY"] = 0.0
    with app.app_context():
        refusals = [e.details for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "request.denied"))]
        db.session.remove()
    assert any('"reason":"address must wait"' in r and '"status":429' in r for r in refusals)


def test_production_logs_are_json_lines(tmp_path):
    import logging

    from coop_platform.core.observability import JsonFormatter

    KeyRing(tmp_path / "keys").init()
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate)
             for n in ("coop_platform", "werkzeug", "gunicorn.error")}
    try:
        app = create_app(production_config(tmp_path))
        handlers = logging.getLogger("coop_platform").handlers
        assert [type(h.formatter) for h in handlers] == [JsonFormatter]
        assert logging.getLogger("coop_platform").propagate is False
        with app.app_context():
            db.engine.dispose()
    finally:
        for name, (handlers, propagate) in saved.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).propagate = propagate
