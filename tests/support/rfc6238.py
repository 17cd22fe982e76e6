"""An independent RFC 4226/6238 implementation (hmac + struct only), so that the platform's
TOTP is never checked only against itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def hotp(key: bytes, counter: int, digits: int = 6, digest=hashlib.sha1) -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def totp(key: bytes, at: float | None = None, step: int = 30, digits: int = 6, digest=hashlib.sha1,
         offset_steps: int = 0) -> str:
    t = int((time.time() if at is None else at) // step) + offset_steps
    return hotp(key, t, digits, digest)


def key_from_base32(secret: str) -> bytes:
    secret = secret.replace(" ", "").upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def code_for(secret_b32: str, at: float | None = None, offset_steps: int = 0) -> str:
    return totp(key_from_base32(secret_b32), at=at, offset_steps=offset_steps)
