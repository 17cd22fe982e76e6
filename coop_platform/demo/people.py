"""Finding a demo account: by the blind index of its address, as sign-in does."""

from __future__ import annotations

from coop_platform.auth.models import User
from coop_platform.auth.services.common import find_user_by_email


def demo_person(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise LookupError(f"no demo account {email}: seed the accounts first")
    return user
