from __future__ import annotations

import pytest

from coop_platform.auth import passwords, recovery
from coop_platform.core.exceptions import ValidationFailed


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("short-one", "short-one", "password"),
        ("password1234", "password1234", "password"),
        ("qwertyuiop123", "qwertyuiop123", "password"),
        ("fp@example.org", "fp@example.org", "password"),
        ("x" * 129, "x" * 129, "password"),
        ("granite-harbor-willow-meadow", "granite-harbor-willow-meadoW", "password_confirm"),
    ],
)
def test_policy_refusals(ctx, password, confirm, field):
    with pytest.raises(ValidationFailed) as info:
        passwords.check_policy(password, confirm, "fp@example.org")
    assert info.value.details["field"] == field


def test_policy_accepts_a_passphrase(ctx):
    passwords.check_policy("granite-harbor-willow-meadow", "granite-harbor-willow-meadow",
                           "fp@example.org")


def test_hash_is_argon2id_and_verifies(ctx):
    hashed = passwords.hash_password("granite-harbor-willow-meadow")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "granite-harbor-willow-meadow")
    assert not passwords.verify_password(hashed, "granite-harbor-willow-meadoW")
    assert not passwords.verify_password(None, "anything at all")


def test_recovery_codes_carry_at_least_60_bits_and_are_unique():
    codes = recovery.generate()
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert recovery.looks_like_recovery_code(code)
        assert len(recovery.normalise(code)) * 5 >= 60
    assert recovery.digest(codes[0].upper().replace("-", " ")) == recovery.digest(codes[0])
