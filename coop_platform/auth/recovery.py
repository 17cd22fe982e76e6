"""Recovery codes: 10 single-use codes of 80 random bits, stored as SHA-256 digests.

A slow hash is not needed: with 80 bits of entropy a digest cannot be brute-forced, and the
lookup stays one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32: no i, l, o, u
CODE_COUNT = 10
GROUPS, GROUP_LEN = 4, 4  # 16 symbols x 5 bits = 80 bits


def generate() -> list[str]:
    return [
        "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))
        for _ in range(CODE_COUNT)
    ]


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    norm = normalise(code)
    return len(norm) == GROUPS * GROUP_LEN and all(ch in ALPHABET for ch in norm)


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()
