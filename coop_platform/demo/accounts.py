"""Demo accounts for trying the portal locally. Never available in Production."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from coop_platform.audit.services import record
from coop_platform.auth import passwords, totp
from coop_platform.auth.models import User
from coop_platform.auth.services.common import (
    decrypt_totp_secret,
    encrypt_totp_secret,
    find_user_by_email,
    replace_recovery_codes,
)
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Forbidden, NotFound, ValidationFailed
from coop_platform.demo.answers import seed_answers
from coop_platform.demo.documents import seed_documents
from coop_platform.extensions import db
from coop_platform.states.models import State

DEMO_DOMAIN = "demo.spc.invalid"  # .invalid: can never be a real mailbox
# (local part, role, State, name): States from every regional group.
DEMO_ACCOUNTS = [
    ("admin", "admin", None, "Demo Administrator"),
    ("moderator", "moderator", None, "Demo Moderator"),
    ("focal.fra", "focal_point", "FRA", "Demo focal point, France"),
    ("focal.sen", "focal_point", "SEN", "Demo focal point, Senegal"),
    ("focal.arg", "focal_point", "ARG", "Demo focal point, Argentina"),
    ("focal.jpn", "focal_point", "JPN", "Demo focal point, Japan"),
    ("focal.pol", "focal_point", "POL", "Demo focal point, Poland"),
    ("court", "court", None, "Demo Court liaison (Registry)"),
]
_WORDS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "granite", "harbor", "indigo",
          "juniper", "kestrel", "lagoon", "meadow", "nectar", "orchid", "prairie", "quartz",
          "raven", "summit", "tundra", "umber", "velvet", "willow", "zephyr")


@dataclass
class DemoLogin:
    email: str
    role: str
    state: str
    password: str | None  # None: existing account, password unchanged
    totp_secret: str


def ensure_allowed() -> None:
    if not current_app.config.get("DEMO_ALLOWED"):
        raise Forbidden(_l("Demo data is refused in the production configuration."))


def _passphrase() -> str:
    return "-".join(secrets.choice(_WORDS) for _ in range(4)) + f"-{secrets.randbelow(100):02d}"


def seed_demo(new_passwords: bool = False) -> list[DemoLogin]:
    """Create the demo accounts that are missing; existing ones keep their password unless
    `new_passwords`. Returns what a newcomer needs to sign in."""
    ensure_allowed()
    if not db.session.scalar(select(func.count(State.id))):
        raise ValidationFailed("No States loaded: run `flask --app wsgi states load` first.")
    logins = []
    for local, role, iso3, name in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = find_user_by_email(email)
        password = None
        if user is None:
            state = db.session.scalars(select(State).where(State.iso3 == iso3)).one() if iso3 else None
            user = User(email=email, role=role, state=state, display_name=name, status="active",
                        is_demo=True, activated_at=utcnow(),
                        court_organ="registry" if role == "court" else None)
            db.session.add(user)
            db.session.flush()
            user.totp_secret = encrypt_totp_secret(user, totp.new_secret())
            replace_recovery_codes(user)
            password = _passphrase()
            record("demo.account_created", object_type="user", object_id=user.public_id,
                   state_id=user.state_id, details={"email": email, "role": role})
        elif not user.is_demo:
            raise ValidationFailed(f"{email} exists and is not a demo account; not touched.")
        elif new_passwords:
            password = _passphrase()
            record("demo.password_reset", object_type="user", object_id=user.public_id)
        if password:
            user.password_hash = passwords.hash_password(password)
            user.password_changed_at = utcnow()
        logins.append(DemoLogin(email, role, iso3 or "", password,
                                decrypt_totp_secret(user, user.totp_secret or "")))
    db.session.commit()
    seed_documents(DEMO_DOMAIN)
    seed_answers(DEMO_DOMAIN)
    return logins


def demo_code(email: str) -> str:
    """The current TOTP code of a demo account, for trying the portal without an app."""
    ensure_allowed()
    user = find_user_by_email(email)
    if user is None:
        raise NotFound("No account uses this e-mail address.")
    if not user.is_demo:
        raise Forbidden("Only demo accounts have their codes printed.")
    if not user.totp_secret:
        raise ValidationFailed("This demo account has no authenticator enrolled.")
    return totp.code_at_step(decrypt_totp_secret(user, user.totp_secret), totp.time_step())
