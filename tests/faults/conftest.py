"""Fault injection in real processes: `flask --app wsgi …` and the development server started
as `make run` starts them, on an instance of their own (SQLite, blobs, Whoosh index, keys),
killed or starved at chosen points (core/faults.py, SPC_FAULT) or given a missing, read-only
or full place to write.

One instance is set up per session (migrations, keys, States, questionnaire, demo data) and
copied for each test, so each test breaks its own.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support.rfc6238 import key_from_base32, totp

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
# What `seed-demo` prints the first time, per account.
DEMO_LOGIN = re.compile(r"(\S+@demo\.spc\.invalid)\n\s+password: (\S+)\n\s+TOTP key: (\S+)")


FOCAL_POINT = "focal.fra@demo.spc.invalid"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Instance:
    base: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)  # e-mail: password, key

    @property
    def instance_dir(self) -> Path:
        return self.base / "instance"

    @property
    def keys_dir(self) -> Path:
        return self.base / "keys"

    @property
    def database(self) -> Path:
        return self.instance_dir / "platform.db"

    @property
    def blobs(self) -> Path:
        return self.instance_dir / "blobs"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPC_")}
        env.update(SPC_CONFIG="development", SPC_INSTANCE_DIR=str(self.instance_dir),
                   SPC_KEYS_DIR=str(self.keys_dir), SPC_SEARCH_BACKEND="whoosh",
                   SPC_ARGON2_TIME_COST="1", SPC_ARGON2_MEMORY_COST="8192",
                   SPC_ARGON2_PARALLELISM="1", PYTHONDONTWRITEBYTECODE="1")
        env.update(self.extra_env)
        env.update(extra)
        return env

    def flask(self, *args: str, timeout: float = 120, **extra: str
              ) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [*FLASK, *args], cwd=ROOT, env=self.env(**extra), capture_output=True, text=True,
            timeout=timeout)

    def start(self, *args: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [*FLASK, *args], cwd=ROOT, env=self.env(**extra), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, seconds: float = 30, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {check}")
        time.sleep(every)


@dataclass
class Server:
    process: subprocess.Popen
    url: str

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=30, allow_redirects=False, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=30, allow_redirects=False, **kwargs)

    def signed_in(self, instance: Instance, email: str = FOCAL_POINT) -> requests.Session:
        """A browser session through the real two steps (password, then TOTP code)."""
        password, key = instance.logins[email]
        browser = requests.Session()
        self.send_form(browser, "/auth/login", {"email": email, "password": password})
        sent = self.send_form(browser, "/auth/second-factor",
                              {"code": totp(key_from_base32(key))})
        assert sent.status_code == 302, sent.text[:300]
        return browser

    def send_form(self, browser: requests.Session, path: str, fields: dict, **kwargs):
        return browser.post(self.url + path, data={"csrf_token": self.token(browser, path),
                                                   **fields},
                            timeout=60, allow_redirects=False, **kwargs)

    def token(self, browser: requests.Session, path: str) -> str:
        page = browser.get(self.url + path, timeout=30)
        return CSRF_RE.search(page.text).group(1)


def serve(instance: Instance, **extra: str) -> Server:
    """The development server of `make run`, on a free port, once it answers."""
    port = free_port()
    process = instance.start("run", "--host", "127.0.0.1", "--port", str(port), **extra)
    server = Server(process, f"http://127.0.0.1:{port}")

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError("the server stopped: " + stop(process))
        try:
            return server.get("/healthz").status_code in (200, 503)
        except requests.ConnectionError:
            return False

    wait_until(answers)
    return server


def stop(process: subprocess.Popen) -> str:
    """Stop it (if it still runs) and return what it printed; its pipes are closed."""
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


@pytest.fixture(scope="session")
def prepared(tmp_path_factory) -> Instance:
    """An instance as `make run` leaves it, demo data included."""
    instance = Instance(tmp_path_factory.mktemp("fault-template"))
    for step in (["keys", "init"], ["db", "upgrade"], ["states", "load"],
                 ["questionnaires", "load"], ["seed-demo"], ["search", "work"]):
        done = instance.flask(*step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
        if step == ["seed-demo"]:
            for email, password, key in DEMO_LOGIN.findall(done.stdout):
                instance.logins[email] = (password, key)
    return instance


@pytest.fixture
def instance(prepared, tmp_path) -> Instance:
    """A copy of the prepared instance, this test's to break."""
    copy = Instance(tmp_path / "site", logins=prepared.logins)
    shutil.copytree(prepared.base, copy.base, symlinks=True)
    yield copy
    # Undo what a test may have made immutable, or pytest could not remove it.
    subprocess.run(["chattr", "-R", "-i", str(copy.base)], capture_output=True, check=False)  # noqa: S603, S607


def app_of(instance: Instance, **overrides):
    """The application on this instance, in the test process (to look at what is stored)."""
    from config import DevelopmentConfig
    from coop_platform import create_app

    cfg = DevelopmentConfig()
    cfg.INSTANCE_DIR = instance.instance_dir
    cfg.KEYS_DIR = instance.keys_dir
    cfg.SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance.database}"
    cfg.SEARCH_BACKEND = "whoosh"
    for name, value in overrides.items():
        setattr(cfg, name, value)
    return create_app(cfg)
