"""Role checks for views. Services repeat the check (defence in depth)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from coop_platform.core.exceptions import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


class Role(StrEnum):
    """Who a person is on the platform (stored as these values)."""

    FOCAL_POINT = "focal_point"
    COURT = "court"
    MODERATOR = "moderator"
    ADMIN = "admin"


#: The ASP Secretariat: who moderates, reads the audit trail and sees every submission.
SECRETARIAT_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})

#: Who besides a State may own a document: the ASP Secretariat (its moderators and admins),
#: or an organ of the Court (its Court accounts, whose organ an administrator sets).
SECRETARIAT_ORGAN = "secretariat"
COURT_ORGANS = ("registry", "otp", "presidency")
ORGANS = (SECRETARIAT_ORGAN, *COURT_ORGANS)


def require_role(actor: Any, roles: str | frozenset[str], message: object) -> None:
    """Defence in depth in services: the views check the role too. None is the command line
    (an operator on the server), which may do what an administrator may."""
    allowed = {roles} if isinstance(roles, str) else roles
    if actor is not None and getattr(actor, "role", None) not in allowed:
        raise Forbidden(message)


def roles_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return decorator
