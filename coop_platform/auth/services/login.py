"""The two login steps, with per-account lockout and per-address growing delay.

At the password step nothing reveals whether an account exists or is locked; once the password
was right, a locked or unusable account is told why. After 10 wrong passwords or 5 wrong codes
the account locks for 15 minutes. Every failure and lock is audited.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from coop_platform.audit.services import record
from coop_platform.auth import passwords
from coop_platform.auth.models import User, UserStatus
from coop_platform.auth.services.codes import (
    address_wait,
    count_failure,
    is_locked,
    lock,
    note_address_failure,
    take_code,
)
from coop_platform.auth.services.common import (
    AccountLocked,
    bump_session_generation,
    find_user_by_email,
)
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import DomainError
from coop_platform.extensions import db

__all__ = ["address_wait", "check_password", "check_second_factor", "record_logout"]


class LoginFailed(DomainError):
    status_code = 400


class AccountUnavailable(DomainError):
    status_code = 403


GENERIC_FAILURE = _l("Invalid e-mail or password.")


def check_password(email: str, password: str, address: str) -> User:
    """First step. Returns the user whose password matched and who may go on to the code."""
    user = find_user_by_email(email) if email else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        note_address_failure(address)
        if user is not None and not is_locked(user):
            failures = count_failure(user, "failed_password_count")
            if failures >= current_app.config["MAX_FAILED_PASSWORDS"]:
                lock(user, "wrong passwords")
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id if user else "",
               details={"step": "password", "email": email[:254]})
        db.session.commit()
        raise LoginFailed(GENERIC_FAILURE)
    if is_locked(user):
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"step": "password", "reason": "locked"})
        db.session.commit()
        raise AccountLocked(as_utc(user.locked_until))
    reason = unavailable_reason(user)
    if reason:
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"step": "password", "reason": reason[0]})
        db.session.commit()
        raise AccountUnavailable(reason[1])
    user.failed_password_count = 0
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash_password(password)
    record("login.password_ok", actor=user, object_type="user", object_id=user.public_id)
    db.session.commit()
    return user


def unavailable_reason(user: User) -> tuple[str, object] | None:
    if user.status == UserStatus.DISABLED:
        return "disabled", _l("This account is disabled. Contact the Secretariat.")
    if user.status != UserStatus.ACTIVE:
        return "not enrolled", _l("This account has not finished enrolment: use your invitation "
                                  "link.")
    if user.state is not None and not user.state.active:
        return "state inactive", _l("Accounts of this State cannot sign in at present. Contact "
                                    "the Secretariat.")
    if not user.totp_secret:
        return "second factor reset", _l("Your second factor was reset. Use the enrolment link "
                                         "the Secretariat gave you to set up a new "
                                         "authenticator.")
    return None


def check_second_factor(user: User, code: str, address: str) -> str:
    """Second step: a TOTP code or a recovery code (see codes.take_code). Returns the method."""
    if is_locked(user):
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"step": "code", "reason": "locked"})
        db.session.commit()
        raise AccountLocked(as_utc(user.locked_until))
    reason = unavailable_reason(user)
    if reason:
        raise AccountUnavailable(reason[1])
    method = take_code(user, code, address=address, purpose="login", allow_recovery=True)
    user.failed_password_count = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record("login.success", actor=user, object_type="user", object_id=user.public_id,
           details={"method": method})
    db.session.commit()
    return method


def record_logout(user: User) -> None:
    bump_session_generation(user, "logout")
    record("logout", actor=user, object_type="user", object_id=user.public_id)
    db.session.commit()
