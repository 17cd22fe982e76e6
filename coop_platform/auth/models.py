from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop_platform.core.authz import SECRETARIAT_ROLES, Role
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.crypto.fields import Sealed, SealedLookup
from coop_platform.extensions import Model
from coop_platform.states.models import State

ROLES: dict[str, Any] = {
    Role.FOCAL_POINT: _l("Focal point"),
    Role.COURT: _l("Court liaison"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Administrator"),
}


class UserStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"


USER_STATUSES: dict[str, Any] = {UserStatus.INVITED: _l("Invited"), UserStatus.ACTIVE: _l("Active"),
                 UserStatus.DISABLED: _l("Disabled")}


class User(Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('focal_point','court','moderator','admin')", name="role"),
        CheckConstraint("status IN ('invited','active','disabled')", name="status"),
        CheckConstraint("role <> 'focal_point' OR state_id IS NOT NULL", name="focal_state"),
        CheckConstraint("court_organ IN ('registry','otp','presidency')", name="court_organ"),
        CheckConstraint("court_organ IS NULL OR role = 'court'", name="organ_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    # Sealed (crypto/fields.py); a person is found, and kept unique, by the blind index of
    # the address (`email_lookup`), never by the address itself.
    _email: Mapped[str] = mapped_column("email", Text, default="")
    email = SealedLookup("_email", "people", lookup_attr="email_lookup")
    email_lookup: Mapped[str] = mapped_column(String(80), unique=True)
    _display_name: Mapped[str] = mapped_column("display_name", Text, default="")
    display_name = Sealed("_display_name", "people")
    role: Mapped[str] = mapped_column(String(16))
    state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"))
    # The organ of the Court a Court account belongs to (set by an administrator): the
    # documents it proposes are that organ's.
    court_organ: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="invited")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(Text)  # encrypted by the key manager
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    failed_password_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_code_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_generation: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Notifications always appear in the platform; this says whether they also come by e-mail.
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    # The person took the directory listings that give this address out of the directory.
    directory_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    state: Mapped[State | None] = relationship(lazy="joined")

    # Flask-Login: the id carries the session generation, so bumping it ends every session.
    def get_id(self) -> str:
        return f"{self.public_id}:{self.session_generation}"

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE and (self.state is None or self.state.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_secretariat(self) -> bool:
        return self.role in SECRETARIAT_ROLES

    @property
    def role_label(self) -> str:
        return str(ROLES[self.role])

    @property
    def status_label(self) -> str:
        return str(USER_STATUSES[self.status])

    def locked_until_utc(self) -> datetime | None:
        return as_utc(self.locked_until)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Invitation(Model):
    """A single-use link to enrol (new account) or re-enrol the second factor (after a reset)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("purpose IN ('enrol','reset_2fa')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12), default="enrol")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The authenticator secret offered on the enrolment page, encrypted; it becomes the
    # user's only once a valid code from it has been entered.
    pending_totp_secret: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
