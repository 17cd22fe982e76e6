from __future__ import annotations

import os

import pytest

from coop_platform.crypto.keyring import (
    PURPOSES,
    DecryptionError,
    KeyPermissionError,
    KeyRing,
    KeysMissing,
)


def test_init_creates_one_key_per_purpose_owner_only(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    created = ring.init()
    assert {k.purpose for k in created} == set(PURPOSES)
    assert oct((tmp_path / "keys").stat().st_mode & 0o777) == "0o700"
    for info in ring.status():
        assert info.path.stat().st_mode & 0o777 == 0o600
    assert ring.is_initialised()


def test_init_is_idempotent_and_never_replaces_a_key(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    ring.init()
    before = {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()}
    assert KeyRing(tmp_path / "keys").init() == []
    after = {p.name: p.read_bytes() for p in (tmp_path / "keys").iterdir()}
    assert before == after


@pytest.mark.parametrize("target", ["folder", "file"])
def test_keys_readable_by_others_are_refused(tmp_path, target):
    ring = KeyRing(tmp_path / "keys")
    ring.init()
    path = tmp_path / "keys" if target == "folder" else ring.status()[0].path
    os.chmod(path, 0o755 if target == "folder" else 0o644)
    with pytest.raises(KeyPermissionError):
        KeyRing(tmp_path / "keys").check_permissions()


def test_encryption_is_bound_to_purpose_context_and_key(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    ring.init()
    token = ring.encrypt("totp", b"secret", b"user:1")
    assert ring.decrypt("totp", token, b"user:1") == b"secret"
    with pytest.raises(DecryptionError):
        ring.decrypt("totp", token, b"user:2")  # copied onto another user's row
    with pytest.raises(DecryptionError):
        ring.decrypt("document", token, b"user:1")
    key_id, _, body = token.partition(":")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(DecryptionError):
        ring.decrypt("totp", f"{key_id}:{flipped}", b"user:1")
    other = KeyRing(tmp_path / "other")
    other.init()
    with pytest.raises(DecryptionError):
        other.decrypt("totp", token, b"user:1")  # wrong key folder


def test_rotation_keeps_old_ciphertexts_readable(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    ring.init()
    old = ring.encrypt("totp", b"x", b"c")
    info = ring.rotate("totp")
    assert ring.active_id("totp") == info.key_id == "totp-0002"
    assert ring.decrypt("totp", old, b"c") == b"x"
    assert ring.encrypt("totp", b"y", b"c").startswith("totp-0002:")


def test_missing_keys_are_reported(tmp_path):
    with pytest.raises(KeysMissing):
        KeyRing(tmp_path / "none").active_id("audit")
