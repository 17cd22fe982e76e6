"""The one place a second-factor code is taken: sign-in, step-up before a confidential download
or a password change, recovery-code regeneration and authenticator replacement alike.

What every caller gets, whatever the route:
- a locked account is refused before the code is even looked at;
- per-account and per-address rate limits (the limiter's storage: Redis in production);
- every failure is counted towards the lock (5 wrong codes lock for 15 minutes) and audited;
- a code is consumed atomically: a TOTP step by a conditional UPDATE on the last accepted step,
  a recovery code by a conditional UPDATE on its `used_at`, each checked by its row count, so
  the same code sent by several sessions at once opens exactly one of them.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from coop_platform.audit.services import record
from coop_platform.auth import recovery, totp
from coop_platform.auth.models import RecoveryCode, User
from coop_platform.auth.services.common import AccountLocked, decrypt_totp_secret
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import DomainError, ValidationFailed
from coop_platform.core.rows import changed_rows
from coop_platform.core.signals import recovery_code_used
from coop_platform.extensions import db, limiter

# What the code is for; recorded with every success and failure.
PURPOSES = frozenset({"login", "download", "password", "recovery_codes", "authenticator"})


class CodeRefused(ValidationFailed):
    """A wrong, replayed or unknown code."""


class TooManyCodes(DomainError):
    status_code = 429


# -- lock and per-address delay ---------------------------------------------------------------
def is_locked(user: User) -> bool:
    until = as_utc(user.locked_until)
    return until is not None and until > utcnow()


def lock(user: User, reason: str) -> None:
    user.locked_until = utcnow() + current_app.config["LOCKOUT_DURATION"]
    user.failed_password_count = 0
    user.failed_code_count = 0
    record("login.lockout", actor=user, outcome="failure", object_type="user",
           object_id=user.public_id, details={"reason": reason,
                                              "until": user.locked_until.isoformat()})


def _throttle_key(address: str) -> str:
    return f"spc-login-failures/{address}"


def address_delay(address: str) -> float:
    """Seconds to wait before answering a login attempt from this address (Nextcloud-style)."""
    base = current_app.config["THROTTLE_BASE_DELAY"]
    if base <= 0:
        return 0.0
    failures = limiter.storage.get(_throttle_key(address)) or 0
    if failures < 3:
        return 0.0
    return float(min(base * 2 ** (failures - 3), current_app.config["THROTTLE_MAX_DELAY"]))


def _wait_key(address: str) -> str:
    return f"spc-login-wait/{address}"


def note_address_failure(address: str) -> None:
    """Count a failure from this address; past the third, the address must wait a growing
    delay before its next attempt (kept in the limiter's storage, shared by workers).

    The storage counts whole numbers and Redis expires keys in whole seconds (a fractional
    expiry was a server error on the third failure in production): the key holds the end of
    the wait in milliseconds since the epoch and lives for the delay rounded up."""
    limiter.storage.incr(_throttle_key(address), 3600)
    delay = address_delay(address)
    if delay > 0:
        until_ms = int((time.time() + delay) * 1000)
        limiter.storage.clear(_wait_key(address))
        limiter.storage.incr(_wait_key(address), max(1, math.ceil(delay)), amount=until_ms)


def address_wait(address: str) -> float:
    """Seconds this address must still wait before its next sign-in attempt (0: none). The
    request is answered at once with 429 and Retry-After: a worker never sleeps on it, so a
    flood cannot tie the workers up."""
    until_ms = limiter.storage.get(_wait_key(address)) or 0
    return max(0.0, until_ms / 1000 - time.time())


def count_failure(user: User, column: str) -> int:
    """Add one failure in a single statement (no lost increments under concurrency)."""
    attribute = getattr(User, column)
    db.session.execute(update(User).where(User.id == user.id).values({attribute: attribute + 1})
                       .execution_options(synchronize_session=False))
    value: int = db.session.scalars(select(attribute).where(User.id == user.id)).one()
    set_committed_value(user, column, value)
    return value


# -- rate limits ------------------------------------------------------------------------------
def _within_rate(user: User, address: str) -> bool:
    strategy = limiter.limiter
    per_account = strategy.hit(parse(current_app.config["CODE_RATE_LIMIT"]),
                               "spc-codes", "account", str(user.id))
    per_address = strategy.hit(parse(current_app.config["CODE_ADDRESS_RATE_LIMIT"]),
                               "spc-codes", "address", address or "-")
    return per_account and per_address


# -- consuming a code -------------------------------------------------------------------------
def _claim_step(user: User, step: int) -> bool:
    claimed = changed_rows(
        update(User).where(User.id == user.id, User.totp_last_step < step)
        .values(totp_last_step=step).execution_options(synchronize_session=False)
    )
    if claimed == 1:
        set_committed_value(user, "totp_last_step", step)
    return claimed == 1


def _claim_recovery_code(user: User, code: str) -> int | None:
    row_id = db.session.scalar(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == recovery.digest(code),
        RecoveryCode.used_at.is_(None)))
    if row_id is None:
        return None
    claimed = changed_rows(
        update(RecoveryCode).where(RecoveryCode.id == row_id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    )
    return row_id if claimed == 1 else None


def _action(purpose: str) -> str:
    return "login" if purpose == "login" else "step_up"


def _refuse(user: User, purpose: str, reason: str) -> None:
    record(f"{_action(purpose)}.failure", actor=user, outcome="failure", object_type="user",
           object_id=user.public_id, details={"step": "code", "purpose": purpose,
                                              "reason": reason})


def _check_allowed(user: User, address: str, purpose: str) -> None:
    """Refuse before looking at the code: a locked account, or too many tries meanwhile."""
    if is_locked(user):
        _refuse(user, purpose, "locked")
        db.session.commit()
        raise AccountLocked(as_utc(user.locked_until))
    if not _within_rate(user, address):
        _refuse(user, purpose, "rate limited")
        db.session.commit()
        raise TooManyCodes(_l("Too many codes were tried. Wait a minute, then enter the "
                              "current code."), field="code")


def _consume(user: User, text: str, allow_recovery: bool) -> tuple[str | None, str]:
    """(method, why not): the method the code was taken by ("totp", "recovery_code"), or None
    and the reason it was refused. Taking is one atomic claim (a step, a recovery code row)."""
    compact = text.replace(" ", "")
    if totp.well_formed(compact):
        secret = decrypt_totp_secret(user, user.totp_secret or "")
        step = totp.matching_step(secret, compact, user.totp_last_step)
        if step is not None and _claim_step(user, step):
            return "totp", ""
        if step is not None or totp.is_replay(secret, compact, user.totp_last_step):
            return None, "replayed code"
        return None, "wrong code"
    if allow_recovery and recovery.looks_like_recovery_code(text):
        row_id = _claim_recovery_code(user, text)
        if row_id is None:
            return None, "unknown or used recovery code"
        record("recovery_code.used", actor=user, object_type="user",
               object_id=user.public_id, details={"recovery_code_id": row_id})
        recovery_code_used.send(user)
        return "recovery_code", ""
    return None, "wrong code"


def _refused(user: User, address: str, purpose: str, failure: str,
             allow_recovery: bool) -> DomainError:
    """Count the failure (locking the account at the limit) and say why, committed."""
    note_address_failure(address)
    failures = count_failure(user, "failed_code_count")
    _refuse(user, purpose, failure)
    if failures >= current_app.config["MAX_FAILED_CODES"]:
        lock(user, "wrong codes")
        db.session.commit()
        return AccountLocked(as_utc(user.locked_until))
    db.session.commit()
    if failure == "replayed code":
        return CodeRefused(_l("This code was already used. Wait for the next code and enter "
                              "it."), field="code")
    if allow_recovery:
        return CodeRefused(_l("That code is not valid. Enter the current code from your "
                              "authenticator, or a recovery code."), field="code")
    return CodeRefused(_l("That code is not valid. Enter the current code from your "
                          "authenticator."), field="code")


def take_code(user: User, code: str | None, *, address: str, purpose: str,
              allow_recovery: bool = False) -> str:
    """Check and consume one code; returns "totp" or "recovery_code". The caller commits the
    success together with what the code unlocks (a refusal is committed here).

    Raises AccountLocked (the account is, or has just become, locked), TooManyCodes (rate
    limit) or CodeRefused (wrong, replayed or used code)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    _check_allowed(user, address, purpose)
    method, failure = _consume(user, (code or "").strip(), allow_recovery)
    if method is None:
        raise _refused(user, address, purpose, failure, allow_recovery)
    user.failed_code_count = 0
    if _action(purpose) == "step_up":
        record("step_up.success", actor=user, object_type="user", object_id=user.public_id,
               details={"purpose": purpose})
    return method
