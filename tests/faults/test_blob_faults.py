"""A blob store with no room left: the upload is refused whole with a 507 and a plain message,
audited, with nothing half-stored; a file that cannot fit is refused before a byte streams;
/readyz reports the free space under SPC_BLOB_MIN_FREE_MB."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid

import pytest

from tests.faults.conftest import app_of, serve, stop

MESSAGE = ("The platform has no room left to store this file, so nothing was kept. Please try "
           "again later, or write to the Secretariat.")
TEXT = ("Procedure to freeze assets at the request of the Court: the central authority "
        "forwards the order to the competent judge within five working days.\n")


def _fields(token: str) -> list[tuple[str, str]]:
    return [("csrf_token", token), ("title", "Freezing procedure"), ("summary", ""),
            ("document_type", "procedure"), ("topics", "freezing"), ("language", "en"),
            ("classification", "restricted"), ("audience", "all_states")]


def _chunked_upload(server, browser, content: bytes):
    """The upload as a browser streams it when it does not say its size (chunked)."""
    boundary = uuid.uuid4().hex
    token = server.token(browser, "/documents/new")

    def body():
        for name, value in _fields(token):
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                   f"{value}\r\n").encode()
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"procedure.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
        for start in range(0, len(content), 64 * 1024):
            yield content[start:start + 64 * 1024]
        yield f"\r\n--{boundary}--\r\n".encode()

    return browser.post(server.url + "/documents/new", data=body(), timeout=120,
                        allow_redirects=False,
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def _upload(server, browser, content: bytes):
    token = server.token(browser, "/documents/new")
    return browser.post(server.url + "/documents/new", data=dict(_fields(token)),
                        files={"file": ("procedure.txt", content, "text/plain")},
                        timeout=120, allow_redirects=False)


def _stored(instance) -> tuple[int, int, list[str]]:
    with sqlite3.connect(instance.database) as conn:
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM document_versions").fetchone()[0]
    files = sorted(str(p.relative_to(instance.blobs)) for p in instance.blobs.rglob("*")
                   if p.is_file())
    return documents, versions, files


def _last_refusal(instance) -> dict:
    """The last refusal's details, opened with the instance's keys (they are sealed)."""
    from sqlalchemy import select

    from coop_platform.audit.models import AuditEvent
    from coop_platform.extensions import db

    app = app_of(instance)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.denied")
                                   .order_by(AuditEvent.seq.desc()).limit(1)).one()
        details = json.loads(event.details)
        db.session.remove()
        db.engine.dispose()
    return details


@pytest.fixture
def small_filesystem(instance):
    """A real 1 MiB filesystem as the blob store (tmpfs; root may mount one here)."""
    instance.blobs.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700",  # noqa: S603, S607
                              "tmpfs", str(instance.blobs)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.fail("cannot mount a small filesystem here: " + mounted.stderr.decode())
    yield instance.blobs
    subprocess.run(["umount", str(instance.blobs)], check=False)  # noqa: S603, S607


@pytest.mark.parametrize("how", ["injected ENOSPC", "a real full filesystem"])
def test_a_full_blob_store_refuses_the_upload_whole(instance, request, how):
    extra = {"SPC_FAULT": "blobs.write:enospc"} if how == "injected ENOSPC" else {
        "SPC_BLOB_MIN_FREE_MB": "0"}
    if how == "a real full filesystem":
        request.getfixturevalue("small_filesystem")
    before = _stored(instance)
    server = serve(instance, **extra)
    try:
        browser = server.signed_in(instance)
        content = (TEXT * 30_000).encode()  # 4 MB: more than the 1 MiB filesystem holds
        refused = (_upload if how == "injected ENOSPC" else _chunked_upload)(
            server, browser, content)
        assert refused.status_code == 507
        assert MESSAGE.replace("'", "&#39;") in refused.text
        assert _stored(instance) == before  # no document, no version, no file, no .part
        assert _last_refusal(instance) == {"status": 507, "reason": "blob store full",
                                           "path": "/documents/new", "method": "POST"}
        # The person is still signed in, and the platform goes on.
        assert browser.get(server.url + "/documents/", timeout=30).status_code == 200
    finally:
        output = stop(server.process)
    assert "Traceback" not in output


def test_a_file_that_cannot_fit_is_refused_before_it_streams(instance):
    server = serve(instance, SPC_BLOB_MIN_FREE_MB=str(10**9))
    try:
        ready = server.get("/readyz")
        assert ready.status_code == 200  # reads, downloads and saves go on
        assert ready.json()["blob_store"].startswith("low: ")
        assert ready.json()["blob_store"].endswith(f"MB free, under {10**9} MB")
        before = _stored(instance)
        browser = server.signed_in(instance)
        refused = _upload(server, browser, TEXT.encode())
        assert refused.status_code == 507
        assert MESSAGE.replace("'", "&#39;") in refused.text
        assert _stored(instance) == before
        assert not (instance.blobs / "tmp").exists() or not any(
            (instance.blobs / "tmp").iterdir())
    finally:
        stop(server.process)
