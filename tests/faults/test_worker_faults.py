"""The workers never die of a transient error; `make run` starts a worker again if it stops; a
file being read is leased briefly and the lease renewed while the reader works, so a killed
worker's file is taken up again within a lease; /healthz tells when files wait too long."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.conftest import ROOT, free_port, serve, stop, wait_until


def _text_rows(instance) -> list[tuple]:
    with sqlite3.connect(instance.database) as conn:
        return conn.execute("SELECT version_id, status, attempts FROM document_texts "
                            "ORDER BY version_id").fetchall()


def _make_pending(instance, waited: timedelta = timedelta(0)) -> int:
    """One file's text to be read again, as after a new upload (`waited` ago)."""
    since = (datetime.now(UTC) - waited).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(instance.database) as conn:
        version_id, = conn.execute("SELECT version_id FROM document_texts WHERE status = "
                                   "'done' ORDER BY version_id LIMIT 1").fetchone()
        conn.execute("UPDATE document_texts SET status = 'pending', attempts = 0, "
                     "claimed_until = NULL, updated_at = ? WHERE version_id = ?",
                     (since, version_id))
    return version_id


def _status_of(instance, version_id: int) -> tuple[str, int]:
    with sqlite3.connect(instance.database) as conn:
        return conn.execute("SELECT status, attempts FROM document_texts WHERE version_id = ?",
                            (version_id,)).fetchone()


@pytest.mark.parametrize(("command", "point"), [
    (["search", "work", "--loop"], "search.work.cycle"),
    (["mail", "send", "--loop", "--quiet"], "mail.send.round")], ids=["search", "mail"])
def test_a_worker_outlives_failing_rounds(instance, command, point):
    worker = instance.start(*command, SPC_FAULT=f"{point}:error")
    time.sleep(4)
    alive = worker.poll() is None
    output = stop(worker)
    assert alive, output
    name = " ".join(command[:2])
    assert f"{name}: this round failed; trying again in 1 s" in output
    assert "trying again in 2 s" in output  # it waits longer each time, never spins


def test_the_search_worker_outlives_a_rebuild_held_by_another_process(instance):
    """The race the probe hit: the index is unreadable, the worker wants to rebuild it, and
    another process (the server) is rebuilding it already."""
    base = instance.instance_dir / "search"
    (base / "CURRENT").write_text("gen-that-is-gone")
    with open(base / "rebuild.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        once = instance.flask("search", "work")
        assert once.returncode == 1
        assert "another process is rebuilding the index: run this again in a moment" in \
            once.stderr
        assert "Traceback" not in once.stderr
        worker = instance.start("search", "work", "--loop")
        time.sleep(3)
        assert worker.poll() is None
        fcntl.flock(held, fcntl.LOCK_UN)
    # Once the lock is free, the worker rebuilds the index itself.
    wait_until(lambda: (base / (base / "CURRENT").read_text().strip()).is_dir(), 60)
    output = stop(worker)
    assert "this round failed" in output


def test_a_killed_readers_file_is_taken_up_again_after_its_short_lease(instance):
    version_id = _make_pending(instance)
    killed = instance.flask("search", "work", SPC_FAULT="search.extract.read:kill",
                            SPC_SEARCH_TEXT_LEASE_SECONDS="3")
    assert killed.returncode == -signal.SIGKILL
    assert _status_of(instance, version_id) == ("pending", 1)
    at_once = instance.flask("search", "work", SPC_SEARCH_TEXT_LEASE_SECONDS="3")
    assert "files read 0" in at_once.stdout  # still leased to the reader that died
    time.sleep(3)
    later = instance.flask("search", "work", SPC_SEARCH_TEXT_LEASE_SECONDS="3")
    assert "files read 1" in later.stdout
    assert _status_of(instance, version_id) == ("done", 2)


def test_a_slow_readers_lease_is_renewed_while_it_works(instance):
    version_id = _make_pending(instance)
    slow = instance.start("search", "work", SPC_FAULT="search.extract.read:sleep6",
                          SPC_SEARCH_TEXT_LEASE_SECONDS="2")
    wait_until(lambda: _status_of(instance, version_id)[1] == 1)  # claimed
    time.sleep(4)  # twice the lease: without its renewal another worker would take it
    other = instance.flask("search", "work", SPC_SEARCH_TEXT_LEASE_SECONDS="2")
    assert "files read 0" in other.stdout
    assert "files read 1" in stop_when_done(slow)
    assert _status_of(instance, version_id) == ("done", 1)  # read once, by the first


def stop_when_done(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=60)
    return output


def test_health_says_degraded_when_files_wait_too_long(instance):
    version_id = _make_pending(instance, waited=timedelta(minutes=20))
    server = serve(instance)
    try:
        search = server.get("/healthz").json()["search"]
        assert search["files_waiting"] == 1
        assert search["oldest_file_waiting_seconds"] >= 20 * 60
        assert search["status"] == "degraded"  # over SPC_SEARCH_TEXT_MAX_WAIT_MINUTES (15)
        assert instance.flask("search", "work").returncode == 0
        assert _status_of(instance, version_id)[0] == "done"
        search = server.get("/healthz").json()["search"]
        assert (search["files_waiting"], search["status"]) == (0, "ok")
    finally:
        stop(server.process)


def _children(parent: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found[int(entry.name)] = command
    return found


def _worker_pid(parent: int) -> int | None:
    return next((pid for pid, command in _children(parent).items()
                 if "search work --loop" in command), None)


def test_make_run_starts_a_worker_that_dies_again_and_stops_everything_with_it(instance):
    runner = subprocess.Popen(  # noqa: S603 - what `make run` runs after its set-up
        [sys.executable, str(ROOT / "deploy" / "run_local.py"), "--port", str(free_port())],
        cwd=ROOT, env=instance.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        first = wait_until(lambda: _worker_pid(runner.pid), 60)
        os.kill(first, signal.SIGKILL)
        second = wait_until(lambda: (pid := _worker_pid(runner.pid)) != first and pid, 60)
        assert second != first
        children = set(_children(runner.pid))
        assert len(children) == 3  # the server, the e-mail sender, the search worker
    finally:
        output = stop(runner)
    assert "the search worker stopped (exit -9); starting it again in 1 s" in output
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
