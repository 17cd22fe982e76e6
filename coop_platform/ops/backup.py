"""Backups that restore: the database, the encrypted blobs it names and a manifest of their
checksums, as one archive encrypted with age to the public keys of the backup's keepers
(crypto/archives.py), beside a seal signed by the platform (the archive's size and SHA-256).
Whoever stores a backup learns its size and nothing else, not even how many files it holds;
`verify` checks the seal without the keepers' private key, `restore` needs it. Never the
keys: they are backed up separately (see README).

Consistency: a blob is written, fsynced and renamed before the version row that names it is
committed, and never changed afterwards. The list of blobs is therefore read from the same
snapshot as the database copy (SQLite's online backup; on PostgreSQL an exported snapshot
that pg_dump shares), so a backup taken while uploads run never names a blob it lacks.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import inspect, text

from coop_platform.audit.services import record
from coop_platform.core import schema
from coop_platform.core.clock import utcnow
from coop_platform.core.files import fsync_directory, write_whole
from coop_platform.crypto import archives
from coop_platform.crypto.keyring import KeysMissing
from coop_platform.documents.services.uploads import blob_store
from coop_platform.documents.storage import BlobStore, LocalBlobStore
from coop_platform.extensions import db, keyring

COPY_CHUNK = 1 << 20
MANIFEST = "manifest.json"
FORMAT = 1  # the manifest inside the archive
SEAL_FORMAT = 2  # the seal beside it (format 1 was a folder in clear)
ARCHIVE = "backup.age"
SEAL = "seal.json"
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


def _age_keepers(recipients: Iterable[str]) -> list[Any]:
    try:
        keepers = archives.recipients_from(recipients)
    except archives.ArchiveError as error:
        raise BackupError(str(error)) from None
    if not keepers:
        raise BackupError("a backup is encrypted to its keepers' age public keys, and none was "
                          "given: pass --recipient age1… (or --recipients-file), or set "
                          "SPC_BACKUP_RECIPIENTS; `backup identity FILE` makes a key pair")
    return keepers


def create(directory: Path, recipients: Iterable[str], actor: object = None) -> Report:
    """The database and the blobs it names, encrypted as one age archive to `recipients`
    (age public keys), into `directory` (new or empty), with its signed seal."""
    keepers = _age_keepers(recipients)
    directory = Path(directory)
    _fresh_directory(directory)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    part = directory / f".{ARCHIVE}.part"
    try:
        kind = db.engine.dialect.name
        if kind == "sqlite":
            database_file, names, revision = _snapshot_sqlite(staging)
        elif kind == "postgresql":
            database_file, names, revision = _snapshot_postgresql(staging)
        else:
            raise BackupError(f"no backup method for {kind}")
        store = blob_store()
        blobs: dict[str, dict[str, Any]] = {}

        def members(add: archives.Adder) -> None:
            database = staging / database_file
            with database.open("rb") as source:
                database_sha = add(database_file, database.stat().st_size, source)
            for name in sorted(set(names)):
                size = store.size(name)
                with store.open(name) as source:
                    blobs[name] = {"sha256": add(f"{BLOBS}/{name}", size, source), "size": size}
            manifest = {
                "format": FORMAT, "created_at": utcnow().isoformat(), "revision": revision,
                "database": {"kind": kind, "file": database_file, "sha256": database_sha},
                "blobs": blobs,
            }
            data = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
            add(MANIFEST, len(data), io.BytesIO(data))  # last: it names what came before

        with part.open("xb") as out:
            os.chmod(part, 0o600)
            archives.seal(out, keepers, members)
            out.flush()
            os.fsync(out.fileno())
        size = part.stat().st_size
        os.replace(part, directory / ARCHIVE)
        fsync_directory(directory)
        _write_seal(directory, size, [str(k) for k in keepers])
    except archives.ArchiveError as error:
        raise BackupError(str(error)) from error
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    record("backup.created", actor=actor,
           details={"blobs": len(blobs), "bytes": size, "revision": revision,
                    "recipients": len(keepers)})
    db.session.commit()
    return Report(directory, kind, len(blobs), size)


def _signed_part(seal: dict[str, Any]) -> bytes:
    body = {k: v for k, v in seal.items() if k != "signature"}
    return b"spc backup seal\n" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _write_seal(directory: Path, size: int, recipients: list[str]) -> None:
    """What the keeper of the backup may check without opening it: the archive's size and
    SHA-256, and who can open it, signed by the platform's signing key."""
    seal: dict[str, Any] = {"format": SEAL_FORMAT, "archive": ARCHIVE, "size": size,
                            "sha256": _sha256(directory / ARCHIVE), "recipients": recipients,
                            "created_at": utcnow().isoformat()}
    seal["key_id"], key = keyring().signing_key()
    seal["signature"] = base64.b64encode(key.sign(_signed_part(seal))).decode()
    # Whole or absent: a backup without its seal does not verify (a crash midway).
    write_whole(directory / SEAL, json.dumps(seal, indent=1, sort_keys=True).encode("utf-8"))


def _seal_problems(directory: Path) -> list[str]:
    """Problems of a backup's seal and archive, found without the private key."""
    try:
        seal = json.loads((directory / SEAL).read_text(encoding="utf-8"))
        signature = base64.b64decode(seal["signature"], validate=True)
        key_id = str(seal["key_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"the seal ({SEAL}) is missing or unreadable: {exc}"]
    if seal.get("format") != SEAL_FORMAT or seal.get("archive") != ARCHIVE:
        return [f"unknown backup format {seal.get('format')!r}"]
    try:
        if not keyring().signature_holds(key_id, _signed_part(seal), signature):
            return ["the seal's signature does not verify: it was altered, or it is not this "
                    "platform's"]
    except KeysMissing:
        return [f"the seal is signed by key {key_id}, which this instance's keys/ lacks"]
    archive = directory / ARCHIVE
    if not archive.is_file():
        return [f"the archive {ARCHIVE} is missing"]
    if archive.stat().st_size != seal.get("size") or _sha256(archive) != seal.get("sha256"):
        return [f"the archive {ARCHIVE} is altered or incomplete"]
    return []


def is_backup_member(name: str) -> bool:
    if name in (MANIFEST, SQLITE_FILE, PG_FILE):
        return True
    folder, _, blob = name.partition("/")
    if folder != BLOBS:
        return False
    try:
        LocalBlobStore(Path("/nonexistent")).path_for(blob)  # a blob name, never a path
    except ValueError:
        return False
    return True


@contextmanager
def _opened(directory: Path, identity_file: Path) -> Iterator[Path]:
    """The backup's files, decrypted into a private folder of this instance for as long as
    the block runs; removed afterwards whatever happens."""
    identities = archives.identities_from(Path(identity_file))
    scratch = Path(current_app.config["INSTANCE_DIR"])
    scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restoring-", dir=scratch))
    try:
        with (directory / ARCHIVE).open("rb") as source:
            archives.open_into(source, identities, staging, is_backup_member)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def verify(directory: Path, identity_file: Path | None = None) -> list[str]:
    """Problems of a backup (empty when it is whole). Without an identity: the seal's
    signature and the archive's checksum. With one: also every file inside against the
    manifest, and (SQLite) that every file the database names is there."""
    directory = Path(directory)
    problems = _seal_problems(directory)
    if problems or identity_file is None:
        return problems
    try:
        with _opened(directory, identity_file) as staging:
            return _contents_problems(staging)
    except archives.ArchiveError as error:
        return [str(error)]


def _contents_problems(directory: Path) -> list[str]:
    """Problems of an opened backup's files against its manifest."""
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


def restore(directory: Path, identity_file: Path) -> Report:
    """Restore a backup into an empty instance (same keys, empty database), opening it with
    a keeper's age identity; nothing is written unless the whole backup verifies."""
    directory = Path(directory)
    store = blob_store()
    if not _instance_is_empty(store):
        raise BackupError("this instance is not empty: restore only into a new, empty one")
    problems = _seal_problems(directory)
    if problems:
        raise BackupError("the backup does not verify: " + "; ".join(problems[:5]))
    try:
        with _opened(directory, identity_file) as staging:
            problems = _contents_problems(staging)
            if problems:
                raise BackupError("the backup does not verify: " + "; ".join(problems[:5]))
            manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
            _restore_from(staging, manifest, store)
    except archives.ArchiveError as error:
        raise BackupError(f"the backup does not verify: {error}") from error
    record("backup.restored", details={"blobs": len(manifest["blobs"]),
                                       "created_at": manifest["created_at"]})
    db.session.commit()
    return Report(directory, manifest["database"]["kind"], len(manifest["blobs"]), 0)


def _restore_from(staging: Path, manifest: dict[str, Any], store: BlobStore) -> None:
    kind = db.engine.dialect.name
    if manifest["database"]["kind"] != kind:
        raise BackupError(f"this backup is of a {manifest['database']['kind']} database; "
                          f"this instance uses {kind}")
    source = staging / manifest["database"]["file"]
    # Files first, the database last and in one step: a restore that stops (a full disk, a
    # refused statement) removes the files it wrote and writes nothing to the database, so
    # the instance is still empty and the restore can simply be run again.
    written: list[str] = []
    try:
        for name in manifest["blobs"]:
            # Through the store, as an upload lands: written whole, synced, then named.
            pending = store.create()
            try:
                with (staging / BLOBS / name).open("rb") as blob:
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
