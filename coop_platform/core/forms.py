"""Small helpers shared by views that turn domain refusals into form errors."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from coop_platform.core.exceptions import DomainError


def attach_error(form: FlaskForm, error: DomainError) -> int:
    """Show the refusal next to its field when it names one, else as a message.
    Returns the HTTP status the page should be answered with."""
    field = getattr(form, error.details.get("field", "") or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(error.message, "error")
    return error.status_code


def status_for(form: FlaskForm) -> int:
    """A submitted form that failed validation is a bad request, not a 200."""
    return 400 if form.is_submitted() and form.errors else 200
