"""E-mail texts are templates (templates/mail/<kind>.txt): each sets `subject` and renders
the body, in the language the caller has set (flask_babel.force_locale), with its links made
by `public_url` from the routes."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from coop_platform.core.urls import public_url


def render(kind: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of the message `kind`; the subject carries the platform's name."""
    template = current_app.jinja_env.get_template(f"mail/{kind}.txt")
    module = template.make_module({"public_url": public_url, **context})
    # A template's top-level `{% set subject %}` is an attribute of its module.
    subject = f"{gettext('Secured Platform on Cooperation')}: {module.subject}"  # type: ignore[attr-defined]
    return subject, str(module).strip() + "\n"
