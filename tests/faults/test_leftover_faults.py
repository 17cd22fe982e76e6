"""What crashes leave goes by itself: the search worker removes, at a safe age, the temporary
file of an upload killed midway, the blob of an upload killed between its rename and its
commit, and an index generation a killed rebuild left half-built; an idle worker leaves no
files behind."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import time
import uuid
from contextlib import suppress

import requests

from tests.faults.conftest import serve, stop, wait_until
from tests.faults.test_blob_faults import TEXT, _stored, _upload

HOURS_AGO = time.time() - 2 * 3600  # older than SPC_BLOB_CLEANUP_AGE_MINUTES (60)


def _age(path) -> None:
    os.utime(path, (HOURS_AGO, HOURS_AGO))


def _temporaries(instance) -> list:
    tmp = instance.blobs / "tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


def _half_sent_upload(server, browser) -> socket.socket:
    """An upload whose body stops half-way (the server is killed while it waits for more)."""
    boundary = uuid.uuid4().hex
    token = server.token(browser, "/documents/new")
    head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                   f"{value}\r\n" for name, value in (
                       ("csrf_token", token), ("title", "Cut short"), ("document_type", "other"),
                       ("language", "en"), ("classification", "restricted"),
                       ("audience", "all_states")))
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
             f"filename=\"cut.txt\"\r\nContent-Type: text/plain\r\n\r\n")
    part = head.encode() + (TEXT * 2000).encode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    host, port = server.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall((f"POST /documents/new HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                        f"Content-Length: {len(part) * 4}\r\n\r\n").encode() + part)
    return connection


def test_the_worker_removes_what_killed_uploads_left_and_nothing_else(instance):
    before = _stored(instance)
    # 1. Killed while the file streams in: its temporary file stays.
    server = serve(instance)
    browser = server.signed_in(instance)
    connection = _half_sent_upload(server, browser)
    wait_until(lambda: _temporaries(instance))
    server.process.send_signal(signal.SIGKILL)
    stop(server.process)
    connection.close()
    stale_part, = _temporaries(instance)
    # 2. Killed after the blob was renamed into place, before its version row committed.
    server = serve(instance, SPC_FAULT="blobs.committed:kill")
    browser = server.signed_in(instance, "focal.sen@demo.spc.invalid")  # a fresh TOTP step
    with suppress(requests.RequestException):  # the server dies mid-request, as told
        _upload(server, browser, TEXT.encode())
    stop(server.process)
    documents, versions, files = _stored(instance)
    assert (documents, versions) == before[:2]  # nothing half-visible
    orphan, = set(files) - set(before[2]) - {str(stale_part.relative_to(instance.blobs))}
    # Young leftovers might still be an upload in progress: they stay.
    assert instance.flask("search", "work").returncode == 0
    assert stale_part.exists()
    assert (instance.blobs / orphan).exists()
    _age(stale_part)
    _age(instance.blobs / orphan)
    recent = instance.blobs / "tmp" / f"{uuid.uuid4().hex}.part"  # an upload going on now
    recent.write_bytes(b"in progress")
    assert instance.flask("search", "work").returncode == 0
    assert not stale_part.exists()
    assert not (instance.blobs / orphan).exists()
    assert recent.exists()
    recent.unlink()
    assert _stored(instance) == before  # every blob a version names is still there


def test_a_generation_left_by_a_killed_rebuild_is_removed(instance):
    base = instance.instance_dir / "search"
    current = (base / "CURRENT").read_text().strip()
    killed = instance.flask("search", "reindex", SPC_FAULT="search.rebuild.written:kill")
    assert killed.returncode == -signal.SIGKILL
    generations = sorted(p.name for p in base.iterdir() if p.name.startswith("gen-"))
    assert len(generations) == 2  # the current one and the half-built one
    assert instance.flask("search", "work").returncode == 0
    assert [p.name for p in base.iterdir() if p.name.startswith("gen-")] == [current]
    assert (base / "CURRENT").read_text().strip() == current
    with sqlite3.connect(instance.database) as conn:
        conn.execute("UPDATE document_texts SET status = 'done'")  # nothing else pending
    server = serve(instance)
    try:
        assert server.get("/healthz").json()["search"]["index"] == "ok"
    finally:
        stop(server.process)


def test_an_idle_worker_leaves_no_files(instance):
    base = instance.instance_dir / "search"
    generation = base / (base / "CURRENT").read_text().strip()
    assert instance.flask("search", "work").returncode == 0  # nothing pending any more
    files = sorted(p.name for p in generation.iterdir())
    worker = instance.start("search", "work", "--loop")
    time.sleep(4)  # eight looks at an empty queue
    stop(worker)
    assert sorted(p.name for p in generation.iterdir()) == files
