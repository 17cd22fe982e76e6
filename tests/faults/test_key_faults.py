"""Keys survive a kill at any point of `keys rotate`; a malformed key file (what the old
rotation could leave: an empty active key) is refused by name, with what to do, everywhere."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from tests.faults.conftest import ROOT, app_of, serve, stop, wait_until

# The raw length of each purpose's key, from SECURITY.md (AES-256, HMAC-SHA256, an Ed25519
# seed, the 64-byte session secret) — not read from the key manager.
KEY_BYTES = {"document": 32, "totp": 32, "audit": 32, "checkpoint": 32, "session": 64,
             "mail": 32, "search": 32, "answers": 32, "content": 32, "people": 32,
             "lookup": 32, "auditlog": 32, "index": 32}
# Where `keys rotate` can be killed: half-way through writing the new key, written but not
# yet under its name, named, the rotation recorded but nothing rewrapped, a batch rewrapped.
KILL_POINTS = ["files.half_written", "files.before_rename", "keys.write.done",
               "keys.rotate.rotated", "keys.rewrap.batch"]


def _every_key_file_holds_a_key(instance) -> None:
    for path in instance.keys_dir.glob("*.key"):
        purpose = path.name.split("-")[0]
        raw = base64.b64decode(path.read_bytes().strip(), validate=True)
        assert len(raw) == KEY_BYTES[purpose], path.name


def _every_document_opens_and_a_new_one_can_be_sealed(instance) -> int:
    from coop_platform.crypto.documents import decrypt_segments
    from coop_platform.documents.models import DocumentVersion
    from coop_platform.documents.services.uploads import blob_store
    from coop_platform.extensions import db, keyring

    app = app_of(instance)
    with app.app_context():
        versions = db.session.scalars(select(DocumentVersion)).all()
        for version in versions:
            vid = uuid.UUID(version.public_id)
            dek = keyring().decrypt("document", version.wrapped_dek, vid.bytes)
            with blob_store().open(version.blob_name) as handle:
                assert sum(len(s) for s in decrypt_segments(handle, dek, vid)) > 0
        token = keyring().encrypt("document", os.urandom(32), b"new upload")
        assert keyring().decrypt("document", token, b"new upload")
        db.session.remove()
        db.engine.dispose()
    return len(versions)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_kill_during_rotation_always_ends_with_a_working_key_set(instance, point):
    before = sorted(p.name for p in instance.keys_dir.glob("*.key"))
    killed = instance.flask("keys", "rotate", SPC_FAULT=f"{point}:kill")
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    status = instance.flask("keys", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "MALFORMED" not in status.stdout
    _every_key_file_holds_a_key(instance)
    after = sorted(p.name for p in instance.keys_dir.glob("*.key"))
    # Either the old set, or the old set and the new key: never a key file half there.
    assert set(after) - set(before) in (set(), {"document-0002.key"})
    finished = instance.flask("keys", "rewrap")  # finishing an interrupted rotation
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert _every_document_opens_and_a_new_one_can_be_sealed(instance) > 0
    again = instance.flask("keys", "rotate")  # and the next rotation works
    assert again.returncode == 0, again.stdout + again.stderr
    _every_key_file_holds_a_key(instance)
    # A temporary file the kill left (half a key, never under a key's name) goes with the
    # next `keys init`, once it is old enough not to be another writer's.
    leftovers = [p for p in instance.keys_dir.iterdir() if p.name.startswith(".tmp-")]
    assert bool(leftovers) == (point in ("files.half_written", "files.before_rename"))
    for leftover in leftovers:
        os.utime(leftover, (0, 0))
    assert instance.flask("keys", "init").returncode == 0
    assert not [p for p in instance.keys_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_malformed_key_file_is_refused_by_name_everywhere(instance):
    empty = instance.keys_dir / "document-0002.key"
    empty.write_bytes(b"")
    os.chmod(empty, 0o600)
    status = instance.flask("keys", "status")
    assert status.returncode == 1
    assert "document-0002\tactive\tMALFORMED" in status.stdout
    assert f"The key file {empty} is empty: restore it from the key backup" in status.stderr
    assert "remove the file and run `flask --app wsgi keys rotate document` again" in \
        status.stderr
    for command in (["keys", "rewrap"], ["search", "work"], ["mail", "send"]):
        refused = instance.flask(*command)
        assert refused.returncode == 1, command
        assert str(empty) in refused.stderr, command
        assert "Traceback" not in refused.stderr, command
    server = instance.start("run", "--port", "1")  # refused before it listens
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert str(empty) in output
    # The way gunicorn starts it: importing wsgi.py.
    gunicorn_way = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT,  # noqa: S603
                                  env=instance.env(), capture_output=True, text=True,
                                  timeout=60)
    assert gunicorn_way.returncode != 0
    assert "is empty: restore it from the key backup" in gunicorn_way.stderr
    empty.unlink()  # what the message says to do, for a key nothing was encrypted with
    assert instance.flask("keys", "status").returncode == 0


def test_readiness_reports_a_key_file_that_goes_bad_while_serving(instance):
    server = serve(instance)
    try:
        assert server.get("/readyz").status_code == 200
        bad = instance.keys_dir / "document-0002.key"
        bad.write_bytes(b"not base64 at all!\n")
        os.chmod(bad, 0o600)
        ready = server.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["keys"] == "malformed: document-0002"
        assert server.get("/healthz").json()["keys"] == "malformed: document-0002"
        bad.unlink()
        wait_until(lambda: server.get("/readyz").status_code == 200)
    finally:
        stop(server.process)
