"""Backups that restore: into a new, empty instance with the same keys, documents download
byte-identical and the audit chain verifies; a tampered backup or a non-empty target is
refused; a backup taken while uploads run never names a blob it lacks."""

from __future__ import annotations

import io
import threading
from contextlib import ExitStack

import pytest

from coop_platform import create_app
from coop_platform.documents.storage import PendingBlob
from coop_platform.extensions import db
from tests.conftest import PG_URL, login, make_test_config
from tests.support import files
from tests.support.databases import throwaway_postgresql
from tests.support.documents import upload, uploaded_id

CONTENTS = {"pdf": files.pdf(), "txt": files.txt(), "docx": files.docx()}


@pytest.fixture
def empty_instance(app, tmp_path):
    """A second instance: its own empty database and file store, the original keys."""
    backend = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") \
        else "sqlite"
    cfg = make_test_config(tmp_path / "restored", backend)
    cfg.KEYS_DIR = app.config["KEYS_DIR"]
    (tmp_path / "restored").mkdir(exist_ok=True)
    with ExitStack() as stack:
        if backend == "postgresql":
            cfg.SQLALCHEMY_DATABASE_URI = stack.enter_context(
                throwaway_postgresql(PG_URL, "restore"))
        restored = create_app(cfg)
        yield restored
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()


def download_all(client, documents: dict[str, str]) -> dict[str, bytes]:
    found = {}
    for kind, doc in documents.items():
        page = client.get(f"/documents/{doc}").get_data(as_text=True)
        version = page.split("/versions/")[1].split("/")[0]
        response = client.get(f"/documents/{doc}/versions/{version}/download")
        assert response.status_code == 200, kind
        found[kind] = response.data
    return found


def owner_with_documents(app, make_user):
    """A focal point of France, signed in, who uploaded one document of each kind."""
    owner = make_user(state="FRA")
    client = app.test_client()
    assert login(client, app, owner).status_code == 302
    documents = {kind: uploaded_id(upload(client, file=(io.BytesIO(data), f"doc.{kind}")))
                 for kind, data in CONTENTS.items()}
    return owner, client, documents


def test_a_backup_restores_into_an_empty_instance(app, make_user, runner, tmp_path,
                                                   empty_instance):
    owner, client, documents = owner_with_documents(app, make_user)
    assert download_all(client, documents) == CONTENTS

    target = tmp_path / "backup"
    made = runner.invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert "3 encrypted files" in made.output
    # Exactly the manifest, the database copy and the blobs: never a key.
    assert {p.name for p in target.iterdir()} in (
        {"manifest.json", "database.sqlite3", "blobs"},
        {"manifest.json", "database.pgdump", "blobs"})
    key_files = [p for p in app.config["KEYS_DIR"].iterdir() if p.is_file()]
    assert key_files
    backed_up = b"".join(p.read_bytes() for p in target.rglob("*") if p.is_file())
    for key_file in key_files:
        assert key_file.read_bytes().strip() not in backed_up, key_file.name
    assert runner.invoke(args=["backup", "verify", str(target)]).exit_code == 0

    restorer = empty_instance.test_cli_runner()
    restored = restorer.invoke(args=["backup", "restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert restorer.invoke(args=["audit", "verify"]).exit_code == 0
    fresh = empty_instance.test_client()
    assert login(fresh, empty_instance, owner).status_code == 302
    assert download_all(fresh, documents) == CONTENTS
    # A second restore over a live instance is refused: nothing is overwritten.
    again = restorer.invoke(args=["backup", "restore", str(target)])
    assert again.exit_code != 0
    assert "not empty" in again.output


def test_a_tampered_or_incomplete_backup_does_not_verify(app, make_user, runner, tmp_path):
    owner = make_user(state="FRA")
    client = app.test_client()
    login(client, app, owner)
    uploaded_id(upload(client))
    target = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0
    blob = next((target / "blobs").iterdir())
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    result = runner.invoke(args=["backup", "verify", str(target)])
    assert result.exit_code == 1
    assert f"blob {blob.name} is altered" in result.output
    blob.unlink()
    assert f"blob {blob.name} is missing" in runner.invoke(
        args=["backup", "verify", str(target)]).output
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code != 0  # not empty


def test_a_backup_taken_while_uploads_run_names_no_missing_blob(app, make_user, runner,
                                                                 tmp_path):
    owner = make_user(state="FRA")
    client = app.test_client()
    login(client, app, owner)
    done = threading.Event()

    def keep_uploading():
        while not done.is_set():
            assert upload(client).status_code == 303

    worker = threading.Thread(target=keep_uploading)
    worker.start()
    try:
        outcomes = [runner.invoke(args=["backup", "create", str(tmp_path / f"b{i}")])
                    for i in range(3)]
    finally:
        done.set()
        worker.join(timeout=60)
    for i, outcome in enumerate(outcomes):
        assert outcome.exit_code == 0, outcome.output
        assert runner.invoke(args=["backup", "verify", str(tmp_path / f"b{i}")]).exit_code == 0


def test_a_backup_missing_a_file_its_database_names_does_not_verify(app, make_user, runner,
                                                                     tmp_path):
    import json

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("on PostgreSQL the shared snapshot makes this impossible by construction")
    owner = make_user(state="FRA")
    client = app.test_client()
    login(client, app, owner)
    uploaded_id(upload(client))
    target = tmp_path / "backup"
    runner.invoke(args=["backup", "create", str(target)])
    manifest = json.loads((target / "manifest.json").read_text())
    name = next(iter(manifest["blobs"]))
    del manifest["blobs"][name]
    (target / "blobs" / name).unlink()
    (target / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(args=["backup", "verify", str(target)])
    assert result.exit_code == 1
    assert f"the database names blob {name}, which the backup lacks" in result.output


@pytest.mark.parametrize("stop", ["while copying the files", "while restoring the database"])
def test_a_restore_that_stops_leaves_nothing_and_can_run_again(app, make_user, runner, tmp_path,
                                                               empty_instance, monkeypatch,
                                                               stop):
    from coop_platform.ops import backup

    owner, _client, documents = owner_with_documents(app, make_user)
    target = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(target)]).exit_code == 0

    if stop == "while copying the files":
        files, write = set(), PendingBlob.write

        def write_then_fail(blob, data):
            files.add(id(blob))
            if len(files) == 2:  # the second of the three files: the disk is full
                raise OSError(28, "No space left on device")
            return write(blob, data)

        monkeypatch.setattr(PendingBlob, "write", write_then_fail)
    else:
        def refused(kind, source):
            raise backup.subprocess.CalledProcessError(1, "pg_restore")

        monkeypatch.setattr(backup, "_restore_database", refused)
    restorer = empty_instance.test_cli_runner()
    stopped = restorer.invoke(args=["backup", "restore", str(target)])
    assert stopped.exit_code != 0
    assert "the restore stopped and was undone" in stopped.output
    blobs = empty_instance.config["BLOB_DIR"]
    left = [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else []
    assert left == []
    monkeypatch.undo()

    again = restorer.invoke(args=["backup", "restore", str(target)])
    assert again.exit_code == 0, again.output
    fresh = empty_instance.test_client()
    assert login(fresh, empty_instance, owner).status_code == 302
    assert download_all(fresh, documents) == CONTENTS
