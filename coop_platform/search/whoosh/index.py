"""The embedded index (Whoosh), for `make run` and small installations: its files, and how
changes reach it (reading it is backend.py).

Layout: `<SEARCH_INDEX_DIR>/CURRENT` names the generation directory in use; a rebuild writes
a new generation beside it and swaps the name atomically, so searches go on meanwhile.
Writers: one at a time (Whoosh's lock), taken with a timeout; changes come only from the
outbox (`SearchChange`), drained by whichever process gets the lock, which re-reads the
objects' current state — so the order in which changes are drained cannot matter. No
AsyncWriter (it reorders and loses updates). No fsync either: a broken or missing index is
rebuilt from the database on first use.
"""

from __future__ import annotations

import fcntl
import io
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.structfile import StructFile
from whoosh.index import LockError

from coop_platform.core import faults
from coop_platform.core.clock import utcnow
from coop_platform.core.files import write_whole
from coop_platform.documents.models import Document
from coop_platform.extensions import db, keyring
from coop_platform.questionnaires.models import Answer, Response
from coop_platform.search.analysis import (
    ANALYZERS,
    LANGS,
    PREFIX_ANALYZER,
    Keyed,
    clear_words,
)
from coop_platform.search.contract import INTERNAL, SearchUnavailable
from coop_platform.search.entries import (
    Entry,
    answer_entries,
    document_entries,
)
from coop_platform.search.keyed import PURPOSE, keyed
from coop_platform.search.models import SearchChange

log = logging.getLogger(__name__)
KEEP_APPLIED = timedelta(hours=1)


def schema() -> Schema:
    return Schema(
        key=ID(stored=True, unique=True),
        obj=ID,  # "a<answer id>" / "d<document id>": every entry of one object
        kind=ID(stored=True, sortable=True),
        ref=NUMERIC(stored=True),
        revision=NUMERIC(stored=True),
        acl=KEYWORD(stored=True),  # keyed tokens of the principals that may read the entry
        owner=ID,  # keyed too
        state=ID(sortable=True), group=ID(sortable=True), section=ID(sortable=True),
        question=ID(sortable=True), type=ID(sortable=True), lang=ID(sortable=True),
        topic=KEYWORD(commas=True),
        date=DATETIME(stored=True, sortable=True),
        en=TEXT(analyzer=ANALYZERS["en"]), fr=TEXT(analyzer=ANALYZERS["fr"]),
        es=TEXT(analyzer=ANALYZERS["es"]), all=TEXT(analyzer=ANALYZERS["all"]),
        prefix=TEXT(analyzer=PREFIX_ANALYZER, phrase=False),
    )


def keyed_principal(token: str) -> str:
    return keyed("acl", token)


def keyed_owner(state_id: object) -> str:
    return keyed("owner", str(state_id))


# -- the vocabulary ("did you mean"), sealed at rest and held in memory ------------------------
VOCABULARY = "vocabulary.sealed"
_vocabularies: dict[str, tuple[int, list[str]]] = {}
_vocabulary_lock = threading.Lock()


def _vocabulary_context(generation: Path) -> bytes:
    return f"search-vocabulary|{generation.name}".encode()


def vocabulary(generation: Path) -> list[str]:
    """The generation's words, sorted; read and opened once per change of the file."""
    path = generation / VOCABULARY
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return []
    with _vocabulary_lock:
        kept = _vocabularies.get(str(path))
        if kept is not None and kept[0] == stamp:
            return kept[1]
    sealed = path.read_text(encoding="ascii")
    words = keyring().decrypt(PURPOSE, sealed, _vocabulary_context(generation)).decode()
    listed = words.split("\n") if words else []
    with _vocabulary_lock:
        _vocabularies[str(path)] = (stamp, listed)
    return listed


def current_vocabulary(app: Flask) -> list[str]:
    base = root(app)
    name = _current_name(base)
    return vocabulary(base / name) if name else []


def add_to_vocabulary(generation: Path, words: set[str]) -> None:
    """Add words to the generation's sealed vocabulary (by its one writer at a time)."""
    known = vocabulary(generation)
    if not words - set(known):
        return
    merged = "\n".join(sorted(set(known) | words))
    sealed = keyring().encrypt(PURPOSE, merged.encode(), _vocabulary_context(generation))
    write_whole(generation / VOCABULARY, sealed.encode("ascii"))


# -- where the index lives ---------------------------------------------------------------------
def root(app: Flask) -> Path:
    configured = app.config.get("SEARCH_INDEX_DIR")
    path = Path(configured) if configured else Path(app.instance_path) / "search"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # plaintext terms: as sensitive as the database
    return path


def _current_name(base: Path) -> str | None:
    try:
        name = (base / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name if name and (base / name).is_dir() else None


def _set_current(base: Path, name: str) -> None:
    tmp = base / f"CURRENT.{uuid.uuid4().hex}"
    with open(tmp, "w") as fh:
        fh.write(name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, base / "CURRENT")
    fd = os.open(base, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_opened: dict[str, whoosh_index.Index] = {}


class IndexUnreadable(Exception):
    pass


def _open(base: Path, name: str):
    path = str(base / name)
    ix = _opened.get(path)
    if ix is None:
        try:
            ix = whoosh_index.open_dir(path)
        except Exception as exc:
            _close_files_left_open(exc.__traceback__)
            raise IndexUnreadable(f"{name}: {type(exc).__name__}") from None
        if not _keyed_schema(ix.schema):
            # Built by an earlier version (words in clear, before keyed tokens): never
            # written to nor read again; it is rebuilt as a broken one is.
            ix.close()
            raise IndexUnreadable(f"{name}: built with another schema")
        _opened[path] = ix
    return ix


def _keyed_schema(found: Schema) -> bool:
    """Whether an index's schema is this version's: the same fields, terms keyed."""
    keyed_steps = getattr(found["all"].analyzer, "items", []) if "all" in found else []
    return (set(found.names()) == set(schema().names())
            and any(isinstance(step, Keyed) for step in keyed_steps))


def _close_files_left_open(trace) -> None:
    """Whoosh does not close the file of a table of contents it fails to read."""
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, io.IOBase | StructFile) and not getattr(value, "is_closed",
                                                                           False):
                with suppress(Exception):
                    value.close()
        trace = trace.tb_next


@contextmanager
def _internal_session():
    session = Session(db.engine, info={INTERNAL: True}, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


# -- writing -----------------------------------------------------------------------------------
def _document(entry: Entry) -> dict:
    fields = {
        "key": entry.key, "obj": entry.key.split(".")[0], "kind": entry.kind,
        "ref": entry.ref, "revision": entry.revision,
        "acl": " ".join(sorted(keyed_principal(t) for t in entry.acl)),
        "owner": keyed_owner(entry.owner), "state": entry.state, "group": entry.group,
        "lang": entry.lang, "date": entry.date.replace(tzinfo=None) if entry.date else None,
        "all": entry.buckets.everything(), "prefix": entry.buckets.everything(),
    }
    for lang in LANGS:
        fields[lang] = entry.buckets.joined(lang)
    if entry.kind == "answer":
        fields.update(section=entry.section, question=entry.question)
    else:
        fields.update(type=entry.doc_type, topic=",".join(entry.topics))
    return {k: v for k, v in fields.items() if v is not None}


def _expand(session: Session, changes) -> tuple[set[int], set[int]]:
    answers, documents = set(), set()
    by_kind: dict[str, set[int]] = {}
    for kind, target in changes:
        by_kind.setdefault(kind, set()).add(target)
    answers |= by_kind.get("answer", set())
    documents |= by_kind.get("document", set())
    if by_kind.get("response"):
        answers |= set(session.scalars(select(Answer.id).where(
            Answer.response_id.in_(by_kind["response"]))))
    if by_kind.get("question"):
        answers |= set(session.scalars(select(Answer.id).where(
            Answer.question_id.in_(by_kind["question"]))))
    if by_kind.get("questionnaire"):
        answers |= set(session.scalars(select(Answer.id).join(Response).where(
            Response.questionnaire_id.in_(by_kind["questionnaire"]))))
    if by_kind.get("state"):
        answers |= set(session.scalars(select(Answer.id).join(Response).where(
            Response.state_id.in_(by_kind["state"]))))
        documents |= set(session.scalars(select(Document.id).where(
            Document.owner_state_id.in_(by_kind["state"]))))
    return answers, documents


def _write(writer, session: Session, answers: set[int], documents: set[int]) -> set[str]:
    """Write the entries of these answers and documents; returns their words, for the
    vocabulary."""
    words: set[str] = set()
    for answer_id, entries in answer_entries(session, answers).items():
        writer.delete_by_term("obj", f"a{answer_id}")
        for entry in entries:
            writer.add_document(**_document(entry))
            words |= clear_words(entry.buckets.everything())
    for document_id, entries in document_entries(session, documents).items():
        writer.delete_by_term("obj", f"d{document_id}")
        for entry in entries:
            writer.add_document(**_document(entry))
            words |= clear_words(entry.buckets.everything())
    return words


def drain(app: Flask, lock_timeout: float = 0.5, limit: int = 2000) -> int:
    """Apply pending changes; the number applied, or -1 when another process holds the
    writer (it will apply what it read; what it did not read stays pending)."""
    base = root(app)
    name = _current_name(base)
    try:
        if name is None:
            raise IndexUnreadable("no index yet")
        ix = _open(base, name)
    except IndexUnreadable as exc:
        log.warning("search: %s; rebuilding the index", exc)
        rebuild(app)  # it reads the database whole: nothing pending is left behind
        return 0
    if not _anything_pending():
        # Opening a writer to find nothing left three files per try (the idle worker looks
        # twice a second) until the next commit.
        return 0
    try:
        writer = ix.writer(timeout=lock_timeout)
    except LockError:
        return -1
    try:
        if _current_name(base) != name:  # swapped by a rebuild while we waited
            writer.cancel()
            return drain(app, lock_timeout, limit)
        with _internal_session() as session:
            rows = session.execute(
                select(SearchChange.id, SearchChange.kind, SearchChange.target_id)
                .where(SearchChange.applied_at.is_(None)).order_by(SearchChange.id)
                .limit(limit)).all()
            if not rows:
                writer.cancel()
                return 0
            answers, documents = _expand(session, [(r.kind, r.target_id) for r in rows])
            add_to_vocabulary(base / name, _write(writer, session, answers, documents))
            session.rollback()
            writer.commit()
            now = utcnow()
            session.execute(update(SearchChange).where(
                SearchChange.id.in_([r.id for r in rows])).values(applied_at=now))
            session.execute(delete(SearchChange).where(
                SearchChange.applied_at < now - KEEP_APPLIED))
            session.commit()
            return len(rows)
    except BaseException:
        with suppress(Exception):  # already committed or cancelled
            writer.cancel()
        raise


def _anything_pending() -> bool:
    with _internal_session() as session:
        return session.scalar(select(SearchChange.id).where(
            SearchChange.applied_at.is_(None)).limit(1)) is not None


def drain_quietly(app: Flask) -> None:
    """After a commit: a failure here must never fail the request that committed."""
    try:
        drain(app)
    except Exception:
        log.exception("search: the index could not be brought up to date; it will be retried")


def pending(app: Flask) -> tuple[int, float | None]:
    count, oldest = db.session.execute(select(func.count(), func.min(SearchChange.created_at))
                                       .where(SearchChange.applied_at.is_(None))).one()
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return count, age


@contextmanager
def _rebuild_lock(base: Path, wait: bool):
    with open(base / "rebuild.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise SearchUnavailable from None
        yield


def rebuild(app: Flask, wait: bool = False) -> int:
    """Build a new generation from the database and swap it in; returns entries written."""
    base = root(app)
    with _rebuild_lock(base, wait):
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path = base / name
        path.mkdir(mode=0o700)
        ix = whoosh_index.create_in(str(path), schema())
        with _internal_session() as session:
            mark = session.scalar(select(func.coalesce(func.max(SearchChange.id), 0)))
            answers = set(session.scalars(select(Answer.id)))
            documents = set(session.scalars(select(Document.id)))
            session.rollback()
        writer = ix.writer(limitmb=128)
        written = 0
        words: set[str] = set()
        try:
            with _internal_session() as session:
                ids = sorted(answers)
                for i in range(0, len(ids), 2000):
                    words |= _write(writer, session, set(ids[i:i + 2000]), set())
                    session.expunge_all()
                words |= _write(writer, session, set(), documents)
            add_to_vocabulary(path, words)
            writer.commit()
            faults.point("search.rebuild.written")
        except BaseException:
            writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            raise
        written = ix.doc_count()
        old = _current_name(base)
        old_writer = None
        if old is not None:
            try:
                old_writer = _open(base, old).writer(timeout=30)  # holds off drains
            except Exception:  # noqa: BLE001 - a broken old index is why we rebuild
                old_writer = None
        try:
            with _internal_session() as session:
                # What the build may not have seen: changes after the mark, and any still
                # waiting (an id below the mark can commit after it was read).
                late = session.execute(
                    select(SearchChange.id, SearchChange.kind, SearchChange.target_id)
                    .where(or_(SearchChange.id > mark, SearchChange.applied_at.is_(None)))
                ).all()
                if late:
                    writer = ix.writer(timeout=30)
                    try:
                        a, d = _expand(session, [(r.kind, r.target_id) for r in late])
                        add_to_vocabulary(path, _write(writer, session, a, d))
                        writer.commit()
                    except BaseException:
                        writer.cancel()
                        raise
                    session.execute(update(SearchChange).where(
                        SearchChange.id.in_([r.id for r in late]),
                        SearchChange.applied_at.is_(None)).values(applied_at=utcnow()))
                session.commit()
            _set_current(base, name)
        finally:
            if old_writer is not None:
                old_writer.cancel()
        for other in base.iterdir():
            if other.is_dir() and other.name.startswith("gen-") and other.name != name:
                _opened.pop(str(other), None)
                shutil.rmtree(other, ignore_errors=True)
        return written


def remove_stale_generations(app: Flask) -> int:
    """Remove the generations that are not the current one and that no rebuild is writing
    (what a killed rebuild left); returns how many. A running rebuild holds the rebuild lock
    for its whole length: while it does, nothing is removed."""
    base = root(app)
    try:
        with _rebuild_lock(base, wait=False):
            current = _current_name(base)
            stale = [d for d in base.iterdir() if d.is_dir() and d.name.startswith("gen-")
                     and d.name != current]
            for folder in stale:
                _opened.pop(str(folder), None)
                shutil.rmtree(folder, ignore_errors=True)
            for pointer in base.glob("CURRENT.*"):  # a swap killed before its rename
                pointer.unlink(missing_ok=True)
            return len(stale)
    except SearchUnavailable:
        return 0


def forget(app: Flask) -> None:
    """Drop the index files (tests: the tables it followed were emptied)."""
    base = root(app)
    close_all()
    shutil.rmtree(base, ignore_errors=True)


def close_all() -> None:
    """Forget every open index, as a newly started process has none."""
    global _epoch
    _opened.clear()
    _epoch += 1  # each thread drops its kept searcher at its next search


# Opening a searcher reads every segment's term table again: at 20k entries, about a tenth of
# a search. So each thread keeps its own (a searcher reads through file handles that threads
# must not share) while the index has no newer commit. Not Whoosh's refresh(): it reuses the
# reader of a segment by the segment's id, and a commit that deletes entries keeps that id
# while changing which of its entries are deleted, so a re-indexed entry's old version (with
# its old readers) would stay visible.
class _Kept(threading.local):
    key: tuple[str, str, int] | None = None
    searcher: Any = None


_kept = _Kept()
_epoch = 0


def _drop_kept() -> None:
    if _kept.searcher is not None:
        with suppress(Exception):
            _kept.searcher.close()
    _kept.key, _kept.searcher = None, None


def _open_searcher(base: Path):
    name = _current_name(base)
    if name is None:
        return None
    key = (str(base), name, _epoch)
    try:
        if _kept.key != key or not _kept.searcher.up_to_date():
            _drop_kept()
            _kept.searcher = _open(base, name).searcher(weighting=scoring.Frequency())
            _kept.key = key
        return _kept.searcher
    except Exception as exc:
        log.warning("search: the index is unreadable (%s); rebuilding it", exc)
        _drop_kept()
        _opened.pop(str(base / name), None)
        return None


@contextmanager
def searcher_for(app: Flask) -> Iterator[Any]:
    """This thread's searcher on the current index; a missing or unreadable one is rebuilt
    first. It stays open for the thread's next search."""
    base = root(app)
    searcher = _open_searcher(base)
    if searcher is None:
        # End this request's transaction: on SQLite it holds the write lock (BEGIN
        # IMMEDIATE) that the rebuild's own connection needs; a search has nothing pending.
        db.session.commit()
        rebuild(app)
        searcher = _open_searcher(base)
    if searcher is None:
        raise SearchUnavailable
    yield searcher


def snapshot(app: Flask) -> set[tuple]:
    """Every entry as (key, revision, principals): to compare the index with a rebuild."""
    with searcher_for(app) as searcher:
        return {(f["key"], f["revision"], f["acl"]) for f in searcher.all_stored_fields()}


def status(app: Flask) -> dict:
    base = root(app)
    name = _current_name(base)
    count, age = pending(app)
    report = {"backend": "whoosh", "pending_changes": count,
              "oldest_pending_seconds": None if age is None else round(age, 1)}
    if name is None:
        report["index"] = "missing (rebuilt on first use)"
        return report
    try:
        ix = _open(base, name)
        report["index"] = "ok"
        report["entries"] = ix.doc_count()
    except Exception:
        _opened.pop(str(base / name), None)
        report["index"] = "unreadable (rebuilt on first use)"
    return report
