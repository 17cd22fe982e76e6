"""Security headers on every response (SECURITY.md, "Web hardening")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, TypeVar

from flask import Flask, Response, abort, g, request

F = TypeVar("F", bound=Callable[..., Any])

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
])
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_nul(values: Iterable[object]) -> bool:
    return any("\x00" in v for v in values if isinstance(v, str))


def streams_upload(view: F) -> F:
    """Mark a view that installs an upload sink and parses its own body."""
    view.streams_upload = True  # type: ignore[attr-defined]
    return view


def safe_local_path(target: object) -> str | None:
    """`target` if it is a path on this site; None for anything a browser could take offsite
    ("//host", "/\\host", schemes, control characters)."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return None
    if target.startswith(("//", "/\\")) or any(ord(ch) < 32 for ch in target):
        return None
    return target


def init_app(app: Flask) -> None:
    @app.before_request
    def _remember_client_address() -> None:
        g.client_address = (request.remote_addr or "")[:45]

    @app.before_request
    def _refuse_nul_characters() -> None:
        """NUL is never legitimate in text, and PostgreSQL refuses it: a 400, not a 500.
        Every value of every key counts. A view that streams an upload parses its own body
        and checks its fields itself (documents.views), after the file went through."""
        values = [*chain.from_iterable(request.args.listvalues()),
                  *(request.view_args or {}).values()]
        streams = getattr(app.view_functions.get(request.endpoint or ""), "streams_upload", False)
        if request.mimetype in FORM_TYPES and not streams:
            values.extend(chain.from_iterable(request.form.listvalues()))
        if has_nul(values):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CSP
        h["X-Content-Type-Options"] = "nosniff"
        # Other sites never learn our addresses; our own forms send theirs, which the CSRF
        # check requires over HTTPS (with "no-referrer" every form failed in production).
        h["Referrer-Policy"] = "same-origin"
        h["X-Frame-Options"] = "DENY"
        h["Permissions-Policy"] = PERMISSIONS_POLICY
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        if app.config.get("HSTS"):
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint != "static":
            # Pages can carry confidential content or one-time secrets: never cache them.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        return response
