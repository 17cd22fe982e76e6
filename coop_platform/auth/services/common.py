from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from coop_platform.audit.services import record
from coop_platform.auth import recovery
from coop_platform.auth.models import RecoveryCode, User
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import DomainError
from coop_platform.crypto.fields import lookup_tokens
from coop_platform.extensions import db, keyring


class AccountLocked(DomainError):
    status_code = 403

    def __init__(self, until: datetime | None) -> None:
        super().__init__(_l("Too many failed attempts: this account is locked."), until=until)
        self.until = until


def totp_context(user: User) -> bytes:
    return f"user:{user.id}".encode()


def encrypt_totp_secret(user: User, secret: str) -> str:
    return keyring().encrypt("totp", secret.encode(), totp_context(user))


def decrypt_totp_secret(user: User, token: str) -> str:
    return keyring().decrypt("totp", token, totp_context(user)).decode()


def find_user_by_email(email: str) -> User | None:
    """The person with this address (any case), by its blind index: addresses are sealed."""
    return db.session.scalars(
        select(User).where(User.email_lookup.in_(lookup_tokens(email)))
    ).one_or_none()


def replace_recovery_codes(user: User) -> list[str]:
    """Issue a fresh set; the previous set stops working in the same transaction."""
    now = utcnow()
    for old in db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        old.used_at = now
    codes = recovery.generate()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=recovery.digest(c)) for c in codes)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ) or 0


def bump_session_generation(user: User, reason: str, actor: User | None = None) -> None:
    """Every session of `user` made before now dies at its next request."""
    user.session_generation += 1
    record("session.revoked_all", actor=actor or user, object_type="user", object_id=user.public_id,
           state_id=user.state_id, details={"reason": reason})
