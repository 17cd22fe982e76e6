"""Backups that restore: the database, the encrypted blobs it names, and a manifest of
checksums. Never the keys: they are backed up separately (see README), so a stolen backup
holds only ciphertext and keyed hashes.

Consistency: a blob is written, fsynced and renamed before the version row that names it is
committed, and never changed afterwards. The list of blobs is therefore read from the same
snapshot as the database copy (SQLite's online backup; on PostgreSQL an exported snapshot
that pg_dump shares), so a backup taken while uploads run never names a blob it lacks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from coop_platform.audit.services import record
from coop_platform.core import schema
from coop_platform.core.clock import utcnow
from coop_platform.core.files import fsync_directory, write_whole
from coop_platform.documents.services.uploads import blob_store
from coop_platform.documents.storage import BlobStore, LocalBlobStore
from coop_platform.extensions import db

COPY_CHUNK = 1 << 20
MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
BLOBS = "blobs"


class BackupError(RuntimeError):
    """The backup cannot be made, verified or restored; the message says why."""


@dataclass(frozen=True)
class Report:
    directory: Path
    database: str
    blobs: int
    size: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _fresh_directory(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: choose a new folder for the backup.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / BLOBS).mkdir(mode=0o700, exist_ok=True)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _libpq_url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _snapshot_sqlite(directory: Path) -> tuple[str, list[str], str]:
    target = directory / SQLITE_FILE
    source = sqlite3.connect(db.engine.url.database or "")
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent snapshot, even while others write
        names = [row[0] for row in copy.execute("SELECT blob_name FROM document_versions")]
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        copy.close()
        source.close()
    os.chmod(target, 0o600)
    return SQLITE_FILE, names, revision


def _snapshot_postgresql(directory: Path) -> tuple[str, list[str], str]:
    target = directory / PG_FILE
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        names = list(conn.scalars(text("SELECT blob_name FROM document_versions")))
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
        # pg_dump reads the very snapshot the blob list came from (kept open meanwhile).
        subprocess.run(  # noqa: S603 (fixed program, arguments from our own config)
            [_program("pg_dump"), "--format=custom", "--no-owner", f"--snapshot={snapshot}",
             f"--file={target}", f"--dbname={_libpq_url()}"],
            check=True, capture_output=True, timeout=3600)
    os.chmod(target, 0o600)
    return PG_FILE, names, revision


def create(directory: Path, actor=None) -> Report:
    """Copy the database and the blobs it names into `directory` (new or empty)."""
    directory = Path(directory)
    _fresh_directory(directory)
    kind = db.engine.dialect.name
    if kind == "sqlite":
        database_file, names, revision = _snapshot_sqlite(directory)
    elif kind == "postgresql":
        database_file, names, revision = _snapshot_postgresql(directory)
    else:
        raise BackupError(f"no backup method for {kind}")
    store = blob_store()
    blobs: dict[str, dict[str, Any]] = {}
    for name in sorted(set(names)):
        copy = directory / BLOBS / name
        with store.open(name) as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target, COPY_CHUNK)
        blobs[name] = {"sha256": _sha256(copy), "size": copy.stat().st_size}
    manifest = {
        "format": FORMAT, "created_at": utcnow().isoformat(), "revision": revision,
        "database": {"kind": kind, "file": database_file,
                     "sha256": _sha256(directory / database_file)},
        "blobs": blobs,
    }
    # Whole or absent: a backup without its manifest does not verify (a crash midway).
    write_whole(directory / MANIFEST,
                json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
    size = sum(b["size"] for b in blobs.values()) + (directory / database_file).stat().st_size
    record("backup.created", actor=actor,
           details={"blobs": len(blobs), "bytes": size, "revision": revision})
    db.session.commit()
    return Report(directory, kind, len(blobs), size)


def verify(directory: Path) -> list[str]:
    """Problems of a backup (empty when every file is there and matches the manifest)."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"manifest unreadable: {exc}"]
    problems = []
    if manifest.get("format") != FORMAT:
        problems.append(f"unknown backup format {manifest.get('format')!r}")
    database = manifest.get("database", {})
    db_path = directory / str(database.get("file", ""))
    if not db_path.is_file() or _sha256(db_path) != database.get("sha256"):
        problems.append(f"database file {db_path.name} is missing or altered")
    if database.get("kind") == "sqlite" and db_path.is_file():
        # Every file the database copy names must be in the backup (on PostgreSQL the shared
        # snapshot guarantees it by construction).
        copy = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            named = {r[0] for r in copy.execute("SELECT blob_name FROM document_versions")}
        except sqlite3.Error as exc:
            named = set()
            problems.append(f"database file unreadable: {exc}")
        finally:
            copy.close()
        problems += [f"the database names blob {n}, which the backup lacks"
                     for n in sorted(named - set(manifest.get("blobs", {})))]
    names_check = LocalBlobStore(directory / BLOBS)
    for name, expected in sorted(manifest.get("blobs", {}).items()):
        try:
            names_check.path_for(name)  # a blob name, never a path out of the backup
        except ValueError:
            problems.append(f"invalid blob name {name!r}")
            continue
        blob = directory / BLOBS / name
        if not blob.is_file():
            problems.append(f"blob {name} is missing")
        elif blob.stat().st_size != expected.get("size") or _sha256(blob) != expected.get("sha256"):
            problems.append(f"blob {name} is altered")
    return problems


def _instance_is_empty(store: BlobStore) -> bool:
    database_file = schema.sqlite_file(db.engine)
    if database_file is not None and not database_file.exists():
        return not any(store.names())  # never opened: it would not be created (core/sqlite)
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    if tables:
        with db.engine.connect() as conn:
            for table in ("users", "documents", "audit_events"):
                if table in tables and conn.scalar(text(f"SELECT count(*) FROM {table}")):  # noqa: S608
                    return False
    return not any(store.names())


def _restore_database(kind: str, source: Path) -> None:
    """All or nothing: SQLite's file swapped in by one rename, PostgreSQL's dump restored in
    one transaction."""
    db.session.remove()
    if kind == "sqlite":
        db.engine.dispose()
        target = Path(db.engine.url.database or "")
        incoming = target.with_name(target.name + ".restoring")
        try:
            shutil.copyfile(source, incoming)
            os.chmod(incoming, 0o600)
            with incoming.open("rb+") as fh:
                os.fsync(fh.fileno())
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(incoming, target)
            fsync_directory(target.parent)
        finally:
            incoming.unlink(missing_ok=True)
        return
    with db.engine.begin() as conn:  # an empty schema for pg_restore to fill
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    db.engine.dispose()
    subprocess.run(  # noqa: S603 (fixed program, arguments from our own config)
        [_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", f"--dbname={_libpq_url()}", str(source)],
        check=True, capture_output=True, timeout=3600)


def restore(directory: Path) -> Report:
    """Restore a verified backup into an empty instance (same keys, empty database)."""
    directory = Path(directory)
    problems = verify(directory)
    if problems:
        raise BackupError("the backup does not verify: " + "; ".join(problems[:5]))
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    kind = db.engine.dialect.name
    if manifest["database"]["kind"] != kind:
        raise BackupError(f"this backup is of a {manifest['database']['kind']} database; "
                          f"this instance uses {kind}")
    store = blob_store()
    if not _instance_is_empty(store):
        raise BackupError("this instance is not empty: restore only into a new, empty one")
    source = directory / manifest["database"]["file"]
    # Files first, the database last and in one step: a restore that stops (a full disk, a
    # refused statement) removes the files it wrote and writes nothing to the database, so
    # the instance is still empty and the restore can simply be run again.
    written: list[str] = []
    try:
        for name in manifest["blobs"]:
            # Through the store, as an upload lands: written whole, synced, then named.
            pending = store.create()
            try:
                with (directory / BLOBS / name).open("rb") as blob:
                    while chunk := blob.read(COPY_CHUNK):
                        pending.write(chunk)
                written.append(name)
                pending.commit(name)
            except BaseException:
                pending.discard()
                raise
        _restore_database(kind, source)
    except (OSError, subprocess.SubprocessError) as error:
        for name in written:
            with suppress(OSError):
                store.delete(name)
        raise BackupError(f"the restore stopped and was undone, nothing is left of it: "
                          f"{error}") from error
    record("backup.restored", details={"blobs": len(manifest["blobs"]),
                                       "created_at": manifest["created_at"]})
    db.session.commit()
    return Report(directory, kind, len(manifest["blobs"]), 0)
