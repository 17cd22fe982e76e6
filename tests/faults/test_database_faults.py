"""The database missing, behind the code, or unusable for a while: nothing starts on a database
without the platform's schema (and no process creates an empty one), and while the database
cannot be read or written every page answers a plain 503 that says to try again, /readyz says
not ready, and both recover by themselves."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from config import TestConfig
from coop_platform import create_app
from tests.faults.conftest import ROOT, app_of, serve, stop

WORKERS_AND_COMMANDS = [["search", "work"], ["mail", "send"], ["states", "load"],
                        ["questionnaires", "load"], ["keys", "rotate"], ["seed-demo"],
                        ["audit", "verify"], ["documents", "cleanup"]]


def _remove_database(instance) -> None:
    for suffix in ("", "-wal", "-shm"):
        (instance.instance_dir / f"platform.db{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("command", WORKERS_AND_COMMANDS, ids=" ".join)
def test_nothing_runs_on_a_missing_database_nor_creates_one(instance, command):
    _remove_database(instance)
    refused = instance.flask(*command)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (f"the database file {instance.database} does not exist: run `flask --app wsgi db "
            f"upgrade`") in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not instance.database.exists()


def test_the_server_refuses_to_start_on_a_missing_database(instance):
    _remove_database(instance)
    server = instance.start("run", "--port", "1")
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert f"Not starting: the database file {instance.database} does not exist" in output
    gunicorn_way = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT,  # noqa: S603
                                  env=instance.env(), capture_output=True, text=True,
                                  timeout=60)
    assert gunicorn_way.returncode != 0
    assert "does not exist: run `flask --app wsgi db upgrade`" in gunicorn_way.stderr
    assert not instance.database.exists()
    # What the message says to run sets it up, and then everything runs.
    assert instance.flask("db", "upgrade").returncode == 0
    assert instance.database.exists()
    assert instance.flask("search", "work").returncode == 0


def test_a_database_behind_the_code_is_refused_and_reported(instance):
    # One migration back. Not by `db downgrade`: the demo data holds what the latest
    # migrations refuse to drop going down (guidance, a revision's unaccepted version); the
    # check reads the recorded migration, which `db stamp` sets.
    history = instance.flask("db", "history")
    previous = re.findall(r"(\w+) -> (\w+) \(head\)", history.stdout)[0][0]
    assert instance.flask("db", "stamp", previous).returncode == 0
    refused = instance.flask("search", "work")
    assert refused.returncode == 1
    assert "the database is at migration" in refused.stderr
    assert "run `flask --app wsgi db upgrade`" in refused.stderr
    app = app_of(instance, CHECK_SCHEMA_AT_START=False)  # a server that started earlier
    for path in ("/healthz", "/readyz"):
        page = app.test_client().get(path)
        assert page.status_code == 503, path
        assert page.get_json()["database"].startswith("the database is at migration"), path
    assert instance.flask("db", "stamp", "head").returncode == 0
    assert app.test_client().get("/readyz").status_code == 200


def _sign_in_attempt(server, language: str = "en"):
    """A wrong password: the platform reads the accounts and writes the audit trail."""
    import requests

    browser = requests.Session()
    return server.send_form(browser, "/auth/login",
                            {"email": "nobody@example.org", "password": "x" * 12},
                            headers={"Accept-Language": language})


def test_a_database_that_cannot_be_written_answers_503_then_recovers(instance):
    """Another process holds the database's write lock (a stuck command, a long copy) longer
    than the server waits for it: every page that writes says to try again, /readyz says
    not ready; once the lock goes, both recover, with no restart."""
    server = serve(instance, SPC_SQLITE_BUSY_TIMEOUT_MS="1000")
    holder = sqlite3.connect(instance.database, isolation_level=None)
    try:
        usual = _sign_in_attempt(server)
        assert usual.status_code == 400
        assert "Invalid e-mail or password." in usual.text
        holder.execute("BEGIN EXCLUSIVE")
        refused = _sign_in_attempt(server)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "60"
        assert ("The platform is briefly unavailable; nothing you sent was lost — try again "
                "in a minute.") in refused.text
        french = _sign_in_attempt(server, "fr")
        assert french.status_code == 503
        assert "La plateforme est brièvement indisponible" in french.text
        assert server.get("/readyz").json()["database"] == "unreachable"
        assert server.get("/readyz").status_code == 503
        holder.execute("ROLLBACK")
        assert server.get("/readyz").status_code == 200
        assert "Invalid e-mail or password." in _sign_in_attempt(server).text
    finally:
        holder.close()
        output = stop(server.process)
    assert "unhandled error" not in output


def test_a_database_file_made_read_only_turns_readiness_off_until_it_is_writable(instance):
    server = serve(instance)
    try:
        assert server.get("/readyz").status_code == 200
        subprocess.run(["chattr", "+i", str(instance.database)], check=True)  # noqa: S603, S607
        ready = server.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == f"read-only: {instance.database} cannot be written"
        subprocess.run(["chattr", "-i", str(instance.database)], check=True)  # noqa: S603, S607
        assert server.get("/readyz").status_code == 200
    finally:
        subprocess.run(["chattr", "-i", str(instance.database)], check=False)  # noqa: S603, S607
        stop(server.process)


def test_an_unreachable_postgresql_answers_503(tmp_path):
    """A PostgreSQL server that does not answer (nothing listens on port 1)."""
    from coop_platform.crypto.keyring import KeyRing

    KeyRing(tmp_path / "keys").init()
    cfg = TestConfig()
    cfg.INSTANCE_DIR, cfg.KEYS_DIR = tmp_path / "instance", tmp_path / "keys"
    cfg.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    app = create_app(cfg)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["database"] == "unreachable"
    page = client.get("/auth/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    refused = client.post("/auth/login", data={"csrf_token": token.split('"')[0],
                                               "email": "a@example.org", "password": "x" * 12})
    assert refused.status_code == 503
    assert "briefly unavailable" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "60"
