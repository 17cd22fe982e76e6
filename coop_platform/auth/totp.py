"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with a +/-1 step window and replay refusal."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

from coop_platform.core.clock import utcnow

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Secured Platform on Cooperation"


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def time_step(at: datetime | None = None) -> int:
    return int((at or utcnow()).timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def well_formed(code: str) -> bool:
    """Six ASCII digits (str.isdigit alone also accepts other scripts' digits)."""
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, last_step: int, at: datetime | None = None) -> int | None:
    """The time step whose code equals `code`, within +/-1 step of now and strictly after the
    last accepted step; None otherwise. A code at or before `last_step` is a replay."""
    if not well_formed(code):
        return None
    now = time_step(at)
    for step in (now - 1, now, now + 1):
        if step > last_step and hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def is_replay(secret: str, code: str, last_step: int, at: datetime | None = None) -> bool:
    """True when the code is valid in the window but at or before the last accepted step."""
    if not well_formed(code):
        return False
    now = time_step(at)
    return any(
        step <= last_step and hmac.compare_digest(code_at_step(secret, step), code)
        for step in (now - 1, now, now + 1)
    )


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no Pillow, no inline styles)."""
    # A viewBox and no fixed size: the stylesheet scales the whole code (a fixed width and
    # height cropped it to one finder pattern, and nobody could scan it).
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                  omitsize=True)


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
