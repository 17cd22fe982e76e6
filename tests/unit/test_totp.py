"""TOTP against RFC 6238's own test vectors, through an independent implementation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from coop_platform.auth import totp
from tests.support.rfc6238 import code_for
from tests.support.rfc6238 import totp as reference_totp

RFC_SECRET = b"12345678901234567890"
RFC_SECRET_B32 = base64.b32encode(RFC_SECRET).decode()
# RFC 6238 appendix B, SHA-1 column (8 digits).
VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_time", "expected"), VECTORS)
def test_reference_implementation_matches_rfc_vectors(unix_time, expected):
    assert reference_totp(RFC_SECRET, at=unix_time, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), VECTORS)
def test_platform_codes_match_rfc_vectors(unix_time, expected):
    step = totp.time_step(datetime.fromtimestamp(unix_time, UTC))
    # A 6-digit code is the same truncated value modulo 10^6: the vector's last six digits.
    assert totp.code_at_step(RFC_SECRET_B32, step) == expected[-6:]


def test_window_is_one_step_each_side():
    secret = totp.new_secret()
    at = datetime(2026, 11, 23, 12, 0, 15, tzinfo=UTC)
    now = at.timestamp()
    step = totp.time_step(at)
    assert totp.matching_step(secret, code_for(secret, at=now), 0, at) == step
    assert totp.matching_step(secret, code_for(secret, at=now - 30), 0, at) == step - 1
    assert totp.matching_step(secret, code_for(secret, at=now + 30), 0, at) == step + 1
    assert totp.matching_step(secret, code_for(secret, at=now - 60), 0, at) is None
    assert totp.matching_step(secret, code_for(secret, at=now + 60), 0, at) is None


def test_code_at_or_before_last_accepted_step_is_a_replay():
    secret = totp.new_secret()
    at = datetime(2026, 11, 23, 12, 0, 15, tzinfo=UTC)
    step = totp.time_step(at)
    current = code_for(secret, at=at.timestamp())
    previous = code_for(secret, at=at.timestamp() - 30)
    assert totp.matching_step(secret, current, step, at) is None
    assert totp.is_replay(secret, current, step, at)
    # Even a code from inside the window but before the last accepted step is refused.
    assert totp.matching_step(secret, previous, step, at) is None
    assert totp.is_replay(secret, previous, step, at)


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "12 345"])
def test_malformed_codes_never_match(bad):
    assert totp.matching_step(totp.new_secret(), bad, 0) is None


def test_provisioning_uri_carries_issuer_and_secret():
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "fp@example.org")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=Secured%20Platform%20on%20Cooperation" in uri
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg")
    assert "style=" not in svg
