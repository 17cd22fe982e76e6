"""The two login steps, with per-account lockout and per-address growing delay.

At the password step nothing reveals whether an account exists or is locked; once the password
was right, a locked or unusable account is told why. After 10 wrong passwords or 5 wrong codes
the account locks for 15 minutes. Every failure and lock is audited.
"""

from __future__ import annotations

import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from coop_platform.audit.services import record
from coop_platform.auth import passwords, recovery, totp
from coop_platform.auth.models import RecoveryCode, User
from coop_platform.auth.services.common import (
    AccountLocked,
    bump_session_generation,
    decrypt_totp_secret,
    find_user_by_email,
)
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import DomainError
from coop_platform.core.signals import recovery_code_used
from coop_platform.extensions import db, limiter


class LoginFailed(DomainError):
    status_code = 400


class AccountUnavailable(DomainError):
    status_code = 403


GENERIC_FAILURE = _l("Invalid e-mail or password.")


# -- per-address growing delay (kept in the rate limiter's storage: Redis in production) ------
def _throttle_key(address: str) -> str:
    return f"spc-login-failures/{address}"


def address_delay(address: str) -> float:
    """Seconds to wait before answering a login attempt from this address."""
    base = current_app.config["THROTTLE_BASE_DELAY"]
    if base <= 0:
        return 0.0
    failures = limiter.storage.get(_throttle_key(address)) or 0
    if failures < 3:
        return 0.0
    return min(base * 2 ** (failures - 3), current_app.config["THROTTLE_MAX_DELAY"])


def _note_address_failure(address: str) -> None:
    limiter.storage.incr(_throttle_key(address), 3600)


def apply_address_delay(address: str) -> None:
    delay = address_delay(address)
    if delay:
        time.sleep(delay)


def _locked(user: User) -> bool:
    until = as_utc(user.locked_until)
    return until is not None and until > utcnow()


def _lock(user: User, reason: str) -> None:
    user.locked_until = utcnow() + current_app.config["LOCKOUT_DURATION"]
    user.failed_password_count = 0
    user.failed_code_count = 0
    record("login.lockout", actor=user, outcome="failure", object_type="user",
           object_id=user.public_id, details={"reason": reason,
                                              "until": user.locked_until.isoformat()})


def check_password(email: str, password: str, address: str) -> User:
    """First step. Returns the user whose password matched and who may go on to the code."""
    user = find_user_by_email(email) if email else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        _note_address_failure(address)
        if user is not None and not _locked(user):
            user.failed_password_count += 1
            if user.failed_password_count >= current_app.config["MAX_FAILED_PASSWORDS"]:
                _lock(user, "wrong passwords")
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id if user else "",
               details={"step": "password", "email": email[:254]})
        db.session.commit()
        raise LoginFailed(GENERIC_FAILURE)
    if _locked(user):
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
    if user.status == "disabled":
        return "disabled", _l("This account is disabled. Contact the Secretariat.")
    if user.status != "active":
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
    """Second step: a TOTP code or a recovery code. Returns the method used."""
    if _locked(user):
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"step": "code", "reason": "locked"})
        db.session.commit()
        raise AccountLocked(as_utc(user.locked_until))
    reason = unavailable_reason(user)
    if reason:
        raise AccountUnavailable(reason[1])
    code = (code or "").strip()
    compact = code.replace(" ", "")
    method = None
    failure = "wrong code"
    if compact.isascii() and compact.isdigit():
        secret = decrypt_totp_secret(user, user.totp_secret or "")
        step = totp.matching_step(secret, compact, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            method = "totp"
        elif totp.is_replay(secret, compact, user.totp_last_step):
            failure = "replayed code"
    elif recovery.looks_like_recovery_code(code):
        method = _use_recovery_code(user, code)
        if method is None:
            failure = "unknown or used recovery code"
    if method is None:
        _note_address_failure(address)
        user.failed_code_count += 1
        record("login.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"step": "code", "reason": failure})
        if user.failed_code_count >= current_app.config["MAX_FAILED_CODES"]:
            _lock(user, "wrong codes")
            db.session.commit()
            raise AccountLocked(as_utc(user.locked_until))
        db.session.commit()
        if failure == "replayed code":
            raise LoginFailed(_l("This code was already used. Wait for the next code and enter "
                                 "it."))
        raise LoginFailed(_l("That code is not valid. Enter the current code from your "
                             "authenticator, or a recovery code."))
    user.failed_code_count = 0
    user.failed_password_count = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    record("login.success", actor=user, object_type="user", object_id=user.public_id,
           details={"method": method})
    db.session.commit()
    return method


def _use_recovery_code(user: User, code: str) -> str | None:
    row = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery.digest(code),
            RecoveryCode.used_at.is_(None),
        ).with_for_update()
    ).one_or_none()
    if row is None:
        return None
    row.used_at = utcnow()
    record("recovery_code.used", actor=user, object_type="user", object_id=user.public_id,
           details={"recovery_code_id": row.id})
    recovery_code_used.send(user)
    return "recovery_code"


def verify_step_up(user: User, code: str) -> bool:
    """A fresh TOTP code for a sensitive action; consumes the code like a login does."""
    secret = decrypt_totp_secret(user, user.totp_secret or "")
    step = totp.matching_step(secret, (code or "").strip().replace(" ", ""), user.totp_last_step)
    if step is None:
        user.failed_code_count += 1
        record("step_up.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id)
        if user.failed_code_count >= current_app.config["MAX_FAILED_CODES"]:
            _lock(user, "wrong codes")
        db.session.commit()
        return False
    user.totp_last_step = step
    user.failed_code_count = 0
    record("step_up.success", actor=user, object_type="user", object_id=user.public_id)
    return True


def record_logout(user: User) -> None:
    bump_session_generation(user, "logout")
    record("logout", actor=user, object_type="user", object_id=user.public_id)
    db.session.commit()
