"""Error pages: a plain message, never a stack trace; denied requests are audited."""

from __future__ import annotations

import logging
import math
import time
from contextlib import suppress

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from coop_platform.core.exceptions import DomainError
from coop_platform.core.redaction import recordable_path
from coop_platform.core.signals import audit_requested, request_refused
from coop_platform.crypto.fields import SealBroken
from coop_platform.extensions import db, limiter

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Sign-in required"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("Your account is not allowed to do this.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not shared with you.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Not possible now"), _l("This cannot be done in the present state. Reload the "
                                     "page and try again.")),
    410: (_l("Link no longer valid"), _l("This link can no longer be used.")),
    413: (_l("Too large"), _l("What you sent is larger than the platform accepts.")),
    429: (_l("Too many attempts"), _l("Too many requests from your address. Wait a few minutes "
                                      "and try again.")),
    500: (_l("Something went wrong"), _l("The platform could not complete the request. Nothing "
                                         "was changed. Try again later.")),
    503: (_l("Not ready"), _l("The platform is not set up yet: its keys are missing.")),
}


def audit_refusal(status: int, reason: str, *, object_type: str = "", object_id: str = "",
                  state_id: int | None = None) -> None:
    """Record a refused request in its own transaction (what the request did is rolled back).
    Never turns the refusal into a 500."""
    try:
        db.session.rollback()
        request_refused.send(None, actor=current_user if current_user.is_authenticated else None,
                             status=status, reason=reason[:200], path=recordable_path(),
                             method=request.method, object_type=object_type,
                             object_id=object_id, state_id=state_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not audit a refused request")


def render_error(status: int, message: object = None) -> tuple[Response | str, int]:
    title, default = MESSAGES.get(status, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=str(message or default)), status
    return render_template("errors/error.html", status=status, title=title,
                           message=message or default), status


def _rate_limited() -> Response:
    """A rate limit's 429 says when the window reopens. (Flask-Limiter's own headers are off:
    it wrote its window into every Retry-After of a limited route, the per-address delay's
    one second included, so clients were told to wait a minute.)"""
    body, status = render_error(429)
    response = make_response(body, status)
    current = limiter.current_limit
    if current is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(current.reset_at - time.time())))
    return response


# SQLite's words for a database that cannot be read or written right now (a locked, read-only,
# missing or full file, a schema gone); its other OperationalErrors are bugs, left as 500s.
# PostgreSQL's OperationalError and InterfaceError are the connection's, all of them.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "readonly database",
                       "disk i/o error", "database or disk is full", "no such table",
                       "database disk image is malformed", "database table is locked")
RETRY_AFTER_SECONDS = 60
UNAVAILABLE = _l("The platform is briefly unavailable; nothing you sent was lost — try again "
                 "in a minute.")


def database_unavailable(error: BaseException) -> bool:
    if isinstance(error, DisconnectionError | PoolTimeout):
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if db.engine.dialect.name != "sqlite":
        return True
    return any(words in str(error.orig).lower() for words in _SQLITE_UNAVAILABLE)


def _unavailable() -> Response:
    """503 with Retry-After, in the reader's language, rendered without the database."""
    if request.headers.get("X-Autosave") == "1" or \
            request.accept_mimetypes.best == "application/json":
        response = jsonify(status="unavailable", message=str(UNAVAILABLE))
    else:
        response = make_response(current_app.jinja_env.get_template(
            "errors/unavailable.html").render(
            message=UNAVAILABLE, locale=str(get_locale() or "en"),
            secretariat_email=current_app.config["SECRETARIAT_EMAIL"]))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> ResponseReturnValue:
        audit_refusal(400, "csrf")
        return render_error(400, _l("The form had expired or was not sent from this site. "
                                    "Reload the page and try again."))

    @app.errorhandler(DomainError)
    def _refusal(error: DomainError) -> ResponseReturnValue:
        """A service's refusal that no view turned into a page of its own: its message, with
        its status; a refusal to act (403) is audited like any other."""
        if error.status_code == 403:
            audit_refusal(403, "forbidden")
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if status in (403, 429):
            audit_refusal(status, error.name)
        if status == 429:
            return _rate_limited()
        return render_error(status)

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError) -> ResponseReturnValue:
        if not database_unavailable(error):
            return _unexpected(error)
        with suppress(Exception):  # the connection may be gone with the database
            db.session.rollback()
        log.warning("database unavailable on %s %s: %s", request.method, recordable_path(),
                    type(getattr(error, "orig", None) or error).__name__)
        return _unavailable()

    @app.errorhandler(SealBroken)
    def _seal_broken(error: SealBroken) -> ResponseReturnValue:
        # A stored value that does not open where it lies (moved from another row, altered,
        # or sealed under a key this instance lacks) is never shown; operators are told.
        log.error("sealed value refused on %s %s: %s", request.method, recordable_path(), error)
        try:
            db.session.rollback()
            audit_requested.send(None, action="data.integrity_failure", outcome="failure",
                                 actor=current_user if current_user.is_authenticated else None,
                                 details={"where": str(error)[:200]})
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not audit a sealed value refused")
        return render_error(500, _l("Stored content failed its integrity check and is not "
                                    "shown. The platform's operators have been alerted."))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, recordable_path())
        return render_error(500)
