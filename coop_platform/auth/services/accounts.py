"""Changes to accounts, by their owner (password, recovery codes, language) or by an admin
(second-factor reset, disable, enable). Users are disabled, never deleted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select, update

from coop_platform.audit.services import record
from coop_platform.auth import passwords
from coop_platform.auth.models import ROLES, USER_STATUSES, Invitation, RecoveryCode, User, UserStatus
from coop_platform.auth.services.codes import take_code
from coop_platform.auth.services.common import (
    bump_session_generation,
    find_user_by_email,
    replace_recovery_codes,
)
from coop_platform.auth.services.invitations import invitation_url, new_reset_invitation
from coop_platform.core.authz import COURT_ORGANS, Role, require_role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import NotFound, ValidationFailed
from coop_platform.core.pages import paginate_ids
from coop_platform.extensions import db
from coop_platform.states.models import State


def require_admin(actor: User | None) -> None:
    """Defence in depth: the views check the role too. None means the command line."""
    require_role(actor, Role.ADMIN, _l("Only administrators may do this."))


def change_password(user: User, current: str, new: str, confirm: str, code: str,
                    address: str) -> None:
    """Needs the current password and a fresh code; ends every other session."""
    if not passwords.verify_password(user.password_hash, current):
        record("password.change_failure", actor=user, outcome="failure", object_type="user",
               object_id=user.public_id, details={"reason": "wrong current password"})
        db.session.commit()
        raise ValidationFailed(_l("The current password is not correct."), field="current_password")
    passwords.check_policy(new, confirm, user.email)
    if passwords.verify_password(user.password_hash, new):
        raise ValidationFailed(_l("Choose a password different from the current one."),
                               field="password")
    take_code(user, code, address=address, purpose="password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    record("password.changed", actor=user, object_type="user", object_id=user.public_id)
    bump_session_generation(user, "password change")
    db.session.commit()


def regenerate_recovery_codes(user: User, code: str, address: str) -> list[str]:
    take_code(user, code, address=address, purpose="recovery_codes")
    codes = replace_recovery_codes(user)
    record("recovery_codes.issued", actor=user, object_type="user", object_id=user.public_id,
           details={"replaced_previous": True})
    db.session.commit()
    return codes


def start_reenrolment(user: User, code: str, address: str) -> str:
    """The user replaces their own authenticator: after a fresh code from the current one, a
    re-enrolment link (token returned). The current authenticator keeps working until a code
    from the new one has been entered (SecureDrop issue #5237)."""
    take_code(user, code, address=address, purpose="authenticator")
    token = new_reset_invitation(user, user)
    record("totp.reenrolment_started", actor=user, object_type="user", object_id=user.public_id)
    db.session.commit()
    return token


def set_email_notifications(user: User, enabled: bool) -> None:
    user.email_notifications = bool(enabled)
    record("account.preferences_changed", actor=user, object_type="user",
           object_id=user.public_id, details={"email_notifications": bool(enabled)})
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def get_user(public_id: str) -> User:
    user = db.session.scalars(select(User).where(User.public_id == public_id)).one_or_none()
    if user is None:
        raise NotFound(_l("No such user."))
    return user


def user_by_email(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(_l("No account uses this e-mail address."))
    return user


def reset_second_factor(user: User, actor: User | None) -> str:
    """Remove the authenticator and recovery codes and return a re-enrolment link. The user
    keeps the password and needs it, plus a code from a new authenticator, to come back."""
    require_admin(actor)
    if user.status != UserStatus.ACTIVE:
        raise ValidationFailed(_l("Only an active account can have its second factor reset."))
    user.totp_secret = None
    user.totp_last_step = 0
    db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    url = invitation_url(new_reset_invitation(user, actor))
    record("totp.reset", actor=actor, object_type="user", object_id=user.public_id,
           state_id=user.state_id, details={"email": user.email})
    bump_session_generation(user, "second factor reset", actor)
    db.session.commit()
    return url


def disable(user: User, actor: User | None) -> None:
    require_admin(actor)
    if actor is not None and actor.id == user.id:
        raise ValidationFailed(_l("You cannot disable your own account."))
    if user.status == UserStatus.DISABLED:
        raise ValidationFailed(_l("This account is already disabled."))
    user.status = "disabled"
    db.session.execute(
        update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                                 Invitation.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    record("user.disabled", actor=actor, object_type="user", object_id=user.public_id,
           state_id=user.state_id, details={"email": user.email})
    bump_session_generation(user, "account disabled", actor)
    db.session.commit()


def enable(user: User, actor: User | None) -> None:
    require_admin(actor)
    if user.status != UserStatus.DISABLED:
        raise ValidationFailed(_l("This account is not disabled."))
    # An account that never finished enrolment goes back to waiting for a new invitation.
    user.status = "active" if user.password_hash and user.totp_secret else "invited"
    user.locked_until = None
    user.failed_code_count = user.failed_password_count = 0
    record("user.enabled", actor=actor, object_type="user", object_id=user.public_id,
           state_id=user.state_id, details={"email": user.email})
    db.session.commit()


def unlock(user: User, actor: User | None) -> None:
    require_admin(actor)
    user.locked_until = None
    user.failed_code_count = user.failed_password_count = 0
    record("user.unlocked", actor=actor, object_type="user", object_id=user.public_id,
           state_id=user.state_id)
    db.session.commit()


def set_court_organ(user: User, organ: str, actor: User | None) -> None:
    """Which organ of the Court a Court account belongs to ('' for none): the documents it
    proposes are that organ's, and it acts for them."""
    require_admin(actor)
    if user.role != Role.COURT:
        raise ValidationFailed(_l("Only a Court account belongs to an organ of the Court."),
                               field="organ")
    if organ and organ not in COURT_ORGANS:
        raise ValidationFailed(_l("Choose one of the listed organs."), field="organ")
    if (user.court_organ or "") == organ:
        raise ValidationFailed(_l("The account already belongs to this organ."), field="organ")
    before = user.court_organ
    user.court_organ = organ or None
    record("user.court_organ_set", actor=actor, object_type="user", object_id=user.public_id,
           details={"from": before, "to": user.court_organ})
    db.session.commit()


def list_users(role: str = "", status: str = "", state_iso3: str = "", query: str = "",
               page: int = 1, per_page: int = 50) -> Pagination:
    """People by e-mail address, filtered. Addresses and names are sealed: the structured
    filters run in SQL, and the text box and the order here, on the opened rows (a few
    hundred accounts)."""
    stmt = select(User).outerjoin(State, User.state_id == State.id)
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if status in USER_STATUSES:
        stmt = stmt.where(User.status == status)
    if state_iso3:
        stmt = stmt.where(State.iso3 == state_iso3.upper())
    people = list(db.session.scalars(stmt))
    wanted = query.strip().casefold()
    if wanted:
        people = [p for p in people
                  if wanted in p.email.casefold() or wanted in p.display_name.casefold()]
    people.sort(key=lambda p: (p.email.casefold(), p.id))
    found = {p.id: p for p in people}
    return paginate_ids([p.id for p in people], lambda ids: [found[i] for i in ids], page,
                        per_page)
