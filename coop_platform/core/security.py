"""Security headers on every response (SECURITY.md, "Web hardening")."""

from __future__ import annotations

from flask import Flask, Response, abort, g, request

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


def init_app(app: Flask) -> None:
    @app.before_request
    def _remember_client_address() -> None:
        g.client_address = (request.remote_addr or "")[:45]

    @app.before_request
    def _refuse_nul_characters() -> None:
        """NUL is never legitimate in text, and PostgreSQL refuses it: a 400, not a 500.
        Multipart bodies are left to the code that streams them."""
        values = [*request.args.values(), *(request.view_args or {}).values()]
        if request.mimetype == "application/x-www-form-urlencoded":
            values.extend(request.form.values())
        if any("\x00" in v for v in values if isinstance(v, str)):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CSP
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
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
