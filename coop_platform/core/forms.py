"""Small helpers shared by views that turn domain refusals into form errors."""

from __future__ import annotations

from typing import Any

from flask import flash, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField
from wtforms.validators import Optional

from coop_platform.core.exceptions import DomainError


class PlatformForm(FlaskForm):  # type: ignore[misc]  # WTForms has no types
    """Every form of the platform. A single-valued field sent more than once is refused
    (WTForms would silently keep the first value, so what a proxy or a script logs and what
    is stored could differ)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if not has_request_context() or not self.is_submitted():
            return valid
        for field in self:
            if isinstance(field, SelectMultipleField):
                continue
            if len(request.form.getlist(field.name)) > 1:
                field.errors = [*list(field.errors or []),
                                _l("This field was sent more than once.")]
                valid = False
        return valid


class ConfirmForm(PlatformForm):
    """A bare CSRF-protected POST for one-click actions (disable, reset, ...)."""

    confirm = BooleanField(_l("I confirm"), validators=[Optional()])


def attach_error(form: FlaskForm, error: DomainError) -> int:
    """Show the refusal next to its field when it names one, else as a message.
    Returns the HTTP status the page should be answered with."""
    field = getattr(form, error.details.get("field", "") or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(str(error.message), "error")
    return error.status_code


def status_for(form: FlaskForm) -> int:
    """A submitted form that failed validation is a bad request, not a 200."""
    return 400 if form.is_submitted() and form.errors else 200
