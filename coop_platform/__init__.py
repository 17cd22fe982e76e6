"""Secured Platform on Cooperation: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, ConfigError, load_config
from coop_platform.core.redaction import RedactSecretPaths
from coop_platform.core.requests import PlatformRequest
from coop_platform.crypto.keyring import KeyRing
from coop_platform.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
_REDACT = RedactSecretPaths()


def create_app(config: Config | str | None = None) -> Flask:
    cfg = config if isinstance(config, Config) else load_config(config)
    cfg.validate()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(cfg.INSTANCE_DIR),
    )
    app.request_class = PlatformRequest
    app.config.from_object(cfg)
    app.config["SPC_ENV"] = cfg.ENV_NAME
    if cfg.PROXY_COUNT:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=cfg.PROXY_COUNT, x_proto=cfg.PROXY_COUNT)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config["BLOB_DIR"] = Path(app.config["BLOB_DIR"] or Path(app.instance_path) / "blobs")

    ring = KeyRing(app.config["KEYS_DIR"])
    ring.check_permissions()  # refuse to start with keys readable by others
    app.extensions["spc_keyring"] = ring
    serving = _serving()
    malformed = ring.problems()
    if serving and malformed:
        raise ConfigError(" ".join(malformed))
    if ring.is_initialised() and not malformed:
        app.secret_key = ring.session_secret()
    elif cfg.ENV_NAME == "production" and serving:
        # Serving (not a `flask ...` command such as `keys init`) without keys: refuse.
        raise ConfigError(f"No keys in {ring.directory}: run `flask --app wsgi keys init` first.")
    logging.getLogger("werkzeug").addFilter(_REDACT)
    if cfg.ENV_NAME == "development":
        # `make run` shows what the platform does (e-mails it would send, refusals it logs)
        # through Flask's own handler on stderr; tests and production configure their own.
        app.logger.setLevel(logging.INFO)
        # werkzeug already prints each request in a development run.
        logging.getLogger("coop_platform.requests").setLevel(logging.WARNING)

    _init_extensions(app)
    from coop_platform.core.params import PublicIdConverter

    app.url_map.converters["pid"] = PublicIdConverter
    _register_blueprints(app)
    _REDACT.learn(app)
    _register_cli(app)

    from flask_babel import get_locale

    from coop_platform.auth import sessions
    from coop_platform.core import errors, observability, security

    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    from coop_platform.core.html import option_tags, state_option_tags
    from coop_platform.core.i18n import format_when, labels_in

    app.jinja_env.filters["when"] = format_when
    app.jinja_env.globals["labels_in"] = labels_in
    app.jinja_env.globals["option_tags"] = option_tags
    app.jinja_env.globals["state_option_tags"] = state_option_tags
    security.init_app(app)
    observability.init_app(app)
    if cfg.ENV_NAME == "production":
        observability.configure_production_logging(app)
    sessions.init_app(app)
    errors.init_app(app)
    from coop_platform import search

    search.init_app(app)
    if serving and cfg.CHECK_SCHEMA_AT_START:
        _refuse_without_schema(app)
    return app


def _serving() -> bool:
    """Whether this process is the web server: gunicorn importing wsgi.py (no command line
    of ours) or `flask run`; as opposed to a `flask ...` command, which checks for itself
    (admin/cli_gate.py) so that `keys init` or `db upgrade` can set things up."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def _refuse_without_schema(app: Flask) -> None:
    from coop_platform.core import schema

    with app.app_context():
        try:
            problem = schema.problem(db.engine)
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            problem = f"the database cannot be reached ({type(cause).__name__})"
        finally:
            db.engine.dispose()  # a forking server must not share this connection
    if problem is not None:
        raise ConfigError(f"Not starting: {problem}.")


def _init_extensions(app: Flask) -> None:
    from coop_platform.core.i18n import select_locale
    from coop_platform.core.sqlite import enable_sqlite_pragmas

    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                    default_translation_directories=str(Path(__file__).parent / "translations"))
    # Models must be imported so that metadata (and Alembic) know every table.
    from coop_platform import models  # noqa: F401

    @app.after_request
    def _end_transaction(response):
        """A streamed body (a download, an export) is sent after this point: the request's
        transaction ends now, so that on SQLite it does not hold the write lock meanwhile.
        Views commit what they change; nothing uncommitted is meant to survive a request."""
        db.session.rollback()
        return response


def _register_blueprints(app: Flask) -> None:
    from coop_platform.admin.views import bp as admin_bp
    from coop_platform.audit.views import bp as audit_bp
    from coop_platform.auth.views import bp as auth_bp
    from coop_platform.core.views import bp as core_bp
    from coop_platform.documents.views import bp as documents_bp
    from coop_platform.home.views import bp as home_bp
    from coop_platform.moderation.views import bp as moderation_bp
    from coop_platform.moderation.views import notifications_bp
    from coop_platform.profiles.views import bp as profiles_bp
    from coop_platform.questionnaires.manage_views import bp as manage_questionnaires_bp
    from coop_platform.questionnaires.views import bp as questionnaires_bp
    from coop_platform.questionnaires.views import directory_bp
    from coop_platform.search.views import bp as search_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(documents_bp, url_prefix="/documents")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(questionnaires_bp, url_prefix="/questionnaires")
    app.register_blueprint(directory_bp, url_prefix="/directory")
    app.register_blueprint(manage_questionnaires_bp, url_prefix="/questionnaires/manage")
    app.register_blueprint(search_bp, url_prefix="/search")
    app.register_blueprint(profiles_bp, url_prefix="/states")

    from flask_login import current_user

    from coop_platform.moderation.notifications import unread_count

    @app.context_processor
    def _secretariat_contact() -> dict:
        return {"secretariat_email": app.config["SECRETARIAT_EMAIL"]}

    @app.context_processor
    def _navigation_counts() -> dict:
        if current_user and current_user.is_authenticated:
            return {"unread_notifications": unread_count(current_user)}
        return {"unread_notifications": 0}


def _register_cli(app: Flask) -> None:
    from coop_platform.audit.cli import audit_cli
    from coop_platform.auth.cli import users_cli
    from coop_platform.demo.cli import demo_code_command, seed_demo_command
    from coop_platform.documents.cli import documents_cli
    from coop_platform.ops.cli import backup_cli, mail_cli, remind_command
    from coop_platform.ops.keys_cli import keys_cli
    from coop_platform.questionnaires.cli import questionnaires_cli
    from coop_platform.search.cli import search_cli
    from coop_platform.states.cli import states_cli

    for group in (keys_cli, states_cli, users_cli, audit_cli, documents_cli, backup_cli,
                  questionnaires_cli, mail_cli, search_cli):
        app.cli.add_command(group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_code_command)
    app.cli.add_command(remind_command)
    from coop_platform.ops.cli_gate import gate_commands

    gate_commands(app)
