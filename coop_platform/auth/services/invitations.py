"""Invitations: the only way in. A link is single-use, expires, and its token is stored hashed.

The authenticator secret offered on the enrolment page is kept (encrypted) on the invitation
and becomes the user's only after a valid code from it was entered, so a half-finished
enrolment never locks anyone out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from coop_platform.audit.services import record
from coop_platform.auth import passwords, totp
from coop_platform.auth.models import ROLES, Invitation, User, UserStatus
from coop_platform.auth.services.common import (
    bump_session_generation,
    decrypt_totp_secret,
    encrypt_totp_secret,
    find_user_by_email,
    replace_recovery_codes,
)
from coop_platform.core.authz import Role, require_role
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.exceptions import Conflict, NotFound, ValidationFailed
from coop_platform.core.rows import changed_rows
from coop_platform.core.urls import public_url
from coop_platform.extensions import db, keyring
from coop_platform.states.models import State


class InvitationInvalid(NotFound):
    status_code = 410


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return public_url("auth.invitation", token=token)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(_l("Enter a valid e-mail address."), field="email") from exc


def _check_role_and_state(role: str, state_iso3: str | None) -> State | None:
    if role not in ROLES:
        raise ValidationFailed(_l("Choose one of the listed roles."), field="role")
    state = None
    if state_iso3:
        state = db.session.scalars(select(State).where(State.iso3 == state_iso3.upper())).one_or_none()
        if state is None:
            raise ValidationFailed(_l("Unknown State code %(code)s.", code=state_iso3), field="state")
        if not state.active:
            raise ValidationFailed(_l("This State is inactive: its users cannot sign in."),
                                   field="state")
    if role == Role.FOCAL_POINT and state is None:
        raise ValidationFailed(_l("A focal point must belong to a State."), field="state")
    if role in ("court", "admin") and state is not None:
        raise ValidationFailed(_l("Court liaisons and administrators belong to no State."),
                               field="state")
    return state


def _new_invitation(user: User, purpose: str, actor: User | None) -> tuple[Invitation, str]:
    now = utcnow()
    db.session.execute(
        update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
               Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)  # 256 bits
    invitation = Invitation(
        user_id=user.id,
        token_hash=_token_hash(token),
        purpose=purpose,
        created_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + current_app.config["INVITATION_TTL"],
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def invite(email: str, role: str, state_iso3: str | None, actor: User | None,
           display_name: str = "") -> tuple[User, str]:
    """Create (or re-invite) an account and return it with the invitation URL. Only an
    administrator (or the command line, actor None) invites."""
    require_role(actor, Role.ADMIN, _l("Only administrators may invite."))
    email = normalise_email(email)
    state = _check_role_and_state(role, state_iso3)
    user = find_user_by_email(email)
    if user is not None and user.status != UserStatus.INVITED:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    if user is None:
        user = User(email=email, role=role, state=state, status="invited",
                    display_name=display_name.strip()[:120])
        db.session.add(user)
    else:
        user.role, user.state = role, state
        if display_name:
            user.display_name = display_name.strip()[:120]
    db.session.flush()
    invitation, token = _new_invitation(user, "enrol", actor)
    record("invitation.created", actor=actor, object_type="user", object_id=user.public_id,
           state_id=user.state_id, details={"email": email, "role": role,
                                            "expires_at": invitation.expires_at.isoformat()})
    db.session.commit()
    return user, invitation_url(token)


def new_reset_invitation(user: User, actor: User | None) -> str:
    """A re-enrolment link's token (the caller commits)."""
    _invitation, token = _new_invitation(user, "reset_2fa", actor)
    return token


def find_invitation(token: str) -> Invitation:
    """The invitation behind a link, or InvitationInvalid saying why it cannot be used."""
    invitation = None
    if 20 <= len(token) <= 100:
        invitation = db.session.scalars(
            select(Invitation).where(Invitation.token_hash == _token_hash(token))
        ).one_or_none()
    if invitation is None:
        raise InvitationInvalid(_l("This invitation link is not valid. Ask the Secretariat for a "
                                   "new one."))
    if invitation.used_at is not None:
        raise InvitationInvalid(_l("This invitation link has already been used."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_l("This invitation link was replaced by a newer one."))
    if as_utc(invitation.expires_at) <= utcnow():
        raise InvitationInvalid(_l("This invitation link has expired. Ask the Secretariat for a "
                                   "new one."))
    if invitation.user.status == UserStatus.DISABLED:
        raise InvitationInvalid(_l("This account is disabled."))
    return invitation


@dataclass
class EnrolmentOffer:
    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        return totp.grouped(self.secret)

    @property
    def qr_svg(self) -> str:
        return totp.qr_svg(self.uri)


def enrolment_offer(invitation: Invitation) -> EnrolmentOffer:
    """The authenticator secret for this invitation, created once and kept until used."""
    user = invitation.user
    context = f"invitation:{invitation.id}:user:{user.id}".encode()
    if invitation.pending_totp_secret is None:
        secret = totp.new_secret()
        invitation.pending_totp_secret = keyring().encrypt("totp", secret.encode(), context)
        db.session.commit()
    else:
        secret = keyring().decrypt("totp", invitation.pending_totp_secret, context).decode()
    return EnrolmentOffer(secret, totp.provisioning_uri(secret, user.email))


def accept(invitation: Invitation, password: str, password_confirm: str | None,
           code: str) -> tuple[User, list[str]]:
    """Finish enrolment: password (set for a new account, checked for a 2FA reset) plus one
    valid code from the offered secret. Returns the user and the recovery codes to show once."""
    user = invitation.user
    offer = enrolment_offer(invitation)
    if invitation.purpose == "enrol":
        passwords.check_policy(password, password_confirm, user.email)
    elif not passwords.verify_password(user.password_hash, password):
        record("enrolment.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"reason": "wrong password"})
        db.session.commit()
        raise ValidationFailed(_l("The password is not correct."), field="password")
    step = totp.matching_step(offer.secret, code.strip().replace(" ", ""), 0)
    if step is None:
        record("enrolment.failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"reason": "wrong code"})
        db.session.commit()
        raise ValidationFailed(
            _l("That code does not match. Check the time on your device and enter the current "
               "code."),
            field="code",
        )
    now = utcnow()
    # Single use even under concurrency: only one request can flip used_at from NULL.
    claimed = changed_rows(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed != 1:
        db.session.rollback()
        raise InvitationInvalid(_l("This invitation link has already been used."))
    if invitation.purpose == "enrol":
        user.password_hash = passwords.hash_password(password)
        user.password_changed_at = now
        user.status = "active"
        user.activated_at = now
    user.totp_secret = encrypt_totp_secret(user, offer.secret)
    user.totp_last_step = step
    user.failed_code_count = 0
    user.failed_password_count = 0
    user.locked_until = None
    codes = replace_recovery_codes(user)
    if invitation.purpose == "enrol":
        record("account.enrolled", actor=user, object_type="user", object_id=user.public_id,
               details={"invitation_id": invitation.id})
    else:
        record("totp.reenrolled", actor=user, object_type="user", object_id=user.public_id,
               details={"invitation_id": invitation.id})
        # Sessions opened with the old authenticator end (the device may have been lost).
        bump_session_generation(user, "authenticator replaced")
    record("recovery_codes.issued", actor=user, object_type="user", object_id=user.public_id)
    db.session.commit()
    return user, codes


def current_totp_secret(user: User) -> str | None:
    return decrypt_totp_secret(user, user.totp_secret) if user.totp_secret else None
