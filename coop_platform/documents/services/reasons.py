"""The reason a decision gives (returned, rejected, withdrawn, refused): the owner reads it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import ValidationFailed

MAX_REASON = 2000


def given_reason(reason: str | None, required: bool) -> str:
    """The reason, trimmed; or ValidationFailed when it is required and missing, or too long."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_l("Give a reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(_l("The reason must have at most 2000 characters."),
                               field="reason")
    return reason
