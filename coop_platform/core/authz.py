"""Role checks for views. Services repeat the check (defence in depth)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from coop_platform.core.exceptions import Forbidden

#: The ASP Secretariat: who moderates, reads the audit trail and sees every submission.
SECRETARIAT_ROLES = frozenset({"moderator", "admin"})


def require_role(actor, roles: str | frozenset[str], message) -> None:
    """Defence in depth in services: the views check the role too. None is the command line
    (an operator on the server), which may do what an administrator may."""
    allowed = {roles} if isinstance(roles, str) else roles
    if actor is not None and getattr(actor, "role", None) not in allowed:
        raise Forbidden(message)


def roles_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator
