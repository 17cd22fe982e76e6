"""Configuration classes. Every setting can come from an environment variable prefixed SPC_.

Development is the default (SQLite in instance/, keys in keys/). Production refuses to start
without an explicit database URL, and the keys folder is checked for permissions at start-up
whatever the configuration.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import overload

BASE_DIR = Path(__file__).resolve().parent


@overload
def _env(name: str, default: str) -> str: ...
@overload
def _env(name: str, default: None = None) -> str | None: ...
def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SPC_{name}", default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str | None) -> str | None:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL comes in."""
    if url and url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


class Config:
    ENV_NAME = "base"
    INSTANCE_DIR = Path(_env("INSTANCE_DIR", str(BASE_DIR / "instance")))
    KEYS_DIR = Path(_env("KEYS_DIR", str(BASE_DIR / "keys")))
    SQLALCHEMY_DATABASE_URI = normalise_database_url(_env("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Sessions: signed cookie, refreshed on activity, bounded by idle and absolute timeouts.
    SESSION_COOKIE_NAME = "spc_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Strict"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session's own timeouts bound the token's life

    MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_MB", 100) * 1024 * 1024
    # The whole request: the file plus the form fields and multipart framing around it.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 64 * 1024
    BLOB_DIR: Path | None = Path(_env("BLOB_DIR", "")) if _env("BLOB_DIR") else None  # instance/blobs

    INVITATION_TTL = timedelta(hours=_env_int("INVITATION_TTL_HOURS", 72))
    PASSWORD_MIN_LENGTH = 12
    # argon2-cffi's defaults (RFC 9106 low-memory profile); tests lower them for speed.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    MAX_FAILED_PASSWORDS = 10
    MAX_FAILED_CODES = 5
    LOCKOUT_DURATION = timedelta(minutes=15)
    STEP_UP_WINDOW = timedelta(minutes=10)
    # Growing delay per client address after failed logins (Nextcloud-style), capped.
    THROTTLE_BASE_DELAY = float(_env("THROTTLE_BASE_DELAY", "0.2") or 0.2)
    THROTTLE_MAX_DELAY = float(_env("THROTTLE_MAX_DELAY", "8") or 8)

    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    # Off: Flask-Limiter would put its window into every Retry-After of a limited route; the
    # 429 handler (core/errors.py) says when the window reopens instead.
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "20 per minute;200 per hour")
    # Every route that takes a second-factor code, on top of the route's own limit.
    CODE_RATE_LIMIT = _env("CODE_RATE_LIMIT", "10 per minute")  # per account
    CODE_ADDRESS_RATE_LIMIT = _env("CODE_ADDRESS_RATE_LIMIT", "30 per minute")

    HSTS = False
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = (_env("SMTP_STARTTLS", "true") or "true").lower() != "false"
    MAIL_FROM = _env("MAIL_FROM", "no-reply@cooperation.invalid")
    # Who may read /metrics (comma-separated client addresses, as the app sees them).
    METRICS_ALLOWED = tuple(a.strip() for a in (_env("METRICS_ALLOWED", "127.0.0.1,::1") or "")
                            .split(",") if a.strip())
    # Where people write when something does not work; shown on the home page, the error
    # pages and a dead invitation link.
    SECRETARIAT_EMAIL = _env("SECRETARIAT_EMAIL", "cooperation-secretariat@cooperation.invalid")
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust;
    # 0 trusts none, so rate limits and the audit trail see the real peer address.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "fr")
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    DEMO_ALLOWED = True
    # whoosh | postgresql; empty: PostgreSQL full-text search when the database is PostgreSQL.
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "")
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR")  # Whoosh; default instance/search
    SEARCH_QUERY_SECONDS = float(_env("SEARCH_QUERY_SECONDS", "3") or 3)
    SEARCH_EXTRACT_SECONDS = _env_int("SEARCH_EXTRACT_SECONDS", 30)
    # A file being read is leased for this long and the lease renewed while the reader works:
    # a killed worker's file is taken up again within a minute.
    SEARCH_TEXT_LEASE_SECONDS = _env_int("SEARCH_TEXT_LEASE_SECONDS", 60)
    # /healthz says the search worker is "degraded" when a file waits longer than this.
    SEARCH_TEXT_MAX_WAIT_MINUTES = _env_int("SEARCH_TEXT_MAX_WAIT_MINUTES", 15)
    # Uploads are refused (507) rather than leave less than this free in the blob store, and
    # /readyz reports it: the database often shares the disk.
    BLOB_MIN_FREE_MB = _env_int("BLOB_MIN_FREE_MB", 256)
    # What the search worker's cleanup leaves alone: a temporary file is touched by every
    # block an upload receives, and an upload stalled this long was cut by the proxy long ago.
    BLOB_CLEANUP_AGE_MINUTES = _env_int("BLOB_CLEANUP_AGE_MINUTES", 60)
    BLOB_CLEANUP_EVERY_MINUTES = _env_int("BLOB_CLEANUP_EVERY_MINUTES", 10)
    # How long a SQLite statement waits for another process's write lock (a long backup, a
    # stuck command) before the page says the platform is briefly unavailable (503).
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 30_000)
    # The age public keys (age1…) every backup is encrypted to, separated by commas or
    # spaces: the people or vaults that keep backups and can restore them.
    BACKUP_RECIPIENTS = tuple((_env("BACKUP_RECIPIENTS", "") or "").replace(",", " ").split())
    # The web server refuses to start on a database without the schema at the code's head.
    CHECK_SCHEMA_AT_START = True

    def validate(self) -> None:
        """Fail fast on a configuration that must not run."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"

    def __init__(self) -> None:
        if not self.SQLALCHEMY_DATABASE_URI:
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{self.INSTANCE_DIR / 'platform.db'}"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8192
    ARGON2_PARALLELISM = 1
    THROTTLE_BASE_DELAY = 0.0
    THROTTLE_MAX_DELAY = 0.0
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "1000 per minute"
    CODE_ADDRESS_RATE_LIMIT = "1000 per minute"  # every test client shares 127.0.0.1
    PUBLIC_BASE_URL = "http://localhost"
    # The suite builds its app first and migrates it afterwards (tests/conftest.py); the
    # refusal itself is tested in processes started as in production (tests/faults/).
    CHECK_SCHEMA_AT_START = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True
    DEMO_ALLOWED = False
    PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError("SPC_DATABASE_URL must be set in production.")
        if self.RATELIMIT_STORAGE_URI == "memory://" and _env("ALLOW_MEMORY_RATELIMIT") != "1":
            raise ConfigError(
                "SPC_RATELIMIT_STORAGE_URI must name a shared store (redis://...) in production, "
                "so that rate limits hold across workers."
            )
        if not self.PUBLIC_BASE_URL or not self.PUBLIC_BASE_URL.startswith("https://"):
            raise ConfigError("SPC_PUBLIC_BASE_URL must be an https:// URL in production.")
        if os.environ.get("SPC_FAULT"):
            raise ConfigError("SPC_FAULT is for the fault-injection tests: unset it.")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    name = name or _env("CONFIG", "development")
    try:
        return CONFIGS[name]()
    except KeyError as exc:
        raise ConfigError(f"Unknown configuration {name!r}; use one of {sorted(CONFIGS)}.") from exc
