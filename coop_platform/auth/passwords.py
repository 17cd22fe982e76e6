"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from coop_platform.core.exceptions import ValidationFailed

MAX_PASSWORD_LENGTH = 128
_DUMMY_HASH: dict[tuple, str] = {}


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: unknown accounts check a dummy hash."""
    ph = hasher()
    if not password_hash:
        params = (ph.time_cost, ph.memory_cost, ph.parallelism)
        if params not in _DUMMY_HASH:
            _DUMMY_HASH[params] = ph.hash("dummy password for timing")
        password_hash = _DUMMY_HASH[params]
        password = password + "\x00never"
    try:
        return ph.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def check_policy(password: str, confirm: str | None, email: str) -> None:
    """At least 12 characters, not the e-mail, not common or easy to guess."""
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    if confirm is not None and password != confirm:
        raise ValidationFailed(_l("The two passwords do not match."), field="password_confirm")
    if len(password) < min_length:
        raise ValidationFailed(
            _l("The password must have at least %(n)d characters.", n=min_length), field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("The password must have at most %(n)d characters.", n=MAX_PASSWORD_LENGTH),
            field="password",
        )
    local_part = email.split("@", 1)[0]
    if password.strip().lower() in {email.lower(), local_part.lower()}:
        raise ValidationFailed(_l("The password must not be your e-mail address."), field="password")
    if zxcvbn(password, user_inputs=[email, local_part])["score"] < 3:
        raise ValidationFailed(
            _l(
                "This password is too common or too easy to guess. "
                "Use a longer passphrase of unrelated words."
            ),
            field="password",
        )
