"""Search at realistic and large sizes, measured in one run, both backends side by side.

Corpora of answers (125 States × 40 questions per questionnaire version, as many versions as
the size needs, every answer accepted so peers see it) plus 2,000 published documents with
file text, all written from the vocabulary of the seed documents (../shared/seeds/). For each
size, on the given PostgreSQL database:

- index build rate (entries per second) of a full rebuild, Whoosh and PostgreSQL;
- query p50/p95 of the whole search service for a focal point of another State (visibility
  inside the query, facet counts, page of 20 rows loaded, snippets highlighted), over a mix of
  words, two-word queries, phrases and prefixes — Whoosh, PostgreSQL, and SQLite FTS5 in
  memory doing the same work as the reference (the same entries, answers and documents' file
  texts; visibility by the pages' rule as a column; the same facets; the page of 20 across
  both kinds with snippets, and its rows read back);
- time from commit to searchable: a document's title changed and committed, then searched
  until found.

    .venv/bin/python benchmarks/search.py --database-url postgresql://…/spc_dev \
        [--sizes 10000,20000,100000] [--documents 2000] [--queries 40]

Goals, as ratios measured in the same run (a shared 2-core machine measures itself, not the
code, in milliseconds): PostgreSQL p95 ≤ 1.0× the equal-work reference at 100k answers, Whoosh
p95 ≤ 1.5× it at 20k; searchable ≤ 1 s after commit.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app, insert_sealed  # noqa: E402
from flask_login import login_user  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from config import normalise_database_url  # noqa: E402
from coop_platform import ROOT  # noqa: E402
from coop_platform.auth.models import User  # noqa: E402
from coop_platform.core.clock import utcnow  # noqa: E402
from coop_platform.documents.models import Document, DocumentTopic, DocumentVersion  # noqa: E402
from coop_platform.documents.services.visibility import visible_documents  # noqa: E402
from coop_platform.extensions import db  # noqa: E402
from coop_platform.questionnaires.models import (  # noqa: E402
    Answer,
    AnswerRevision,
    Question,
    Questionnaire,
    Response,
    Section,
)
from coop_platform.questionnaires.services.authoring import load_seed  # noqa: E402
from coop_platform.questionnaires.services.visibility import visible_answers  # noqa: E402
from coop_platform.search import backends  # noqa: E402
from coop_platform.search.entries import file_text  # noqa: E402
from coop_platform.search.extraction import seal_text  # noqa: E402
from coop_platform.search.models import DocumentText  # noqa: E402
from coop_platform.search.services import Request, search  # noqa: E402
from coop_platform.search.texts import answer_buckets, document_buckets  # noqa: E402
from coop_platform.search.whoosh import index as whoosh_index  # noqa: E402
from coop_platform.states.models import State  # noqa: E402
from coop_platform.states.services import load_states  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
PER_VERSION = 125 * 40
# (backend, answers) -> the largest p95 ratio to the equal-work reference that meets the goal.
GOALS = {("postgresql", 100_000): 1.0, ("whoosh", 20_000): 1.5}
LANGUAGES = ("en", "en", "en", "fr", "es")


def vocabulary() -> list[str]:
    words = []
    for path in sorted(SEEDS.glob("*.txt")):
        words += re.findall(r"[^\W\d_]{3,}", path.read_text(encoding="utf-8", errors="ignore"))
    return [w.lower() for w in words]


def prose(rng: random.Random, words: list[str], n: int) -> str:
    start = rng.randrange(len(words) - n)
    return " ".join(words[start:start + n])  # runs of the seeds' own text: real phrases


def postgresql_setup() -> None:
    """What the migration does on PostgreSQL (the benchmark builds tables from the models)."""
    path = next((ROOT / "migrations" / "versions").glob("*_search_index.py"))
    spec = importlib.util.spec_from_file_location("search_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.op = SimpleNamespace(execute=lambda sql: db.session.execute(text(sql)))
    module._postgresql_setup()
    db.session.commit()


def _value(question: Question, rng: random.Random, words: list[str]):
    codes = [c for c, _ in question.options]
    if question.qtype in ("yes_no", "yes_partly_no", "single_choice"):
        return rng.choice(codes)
    if question.qtype == "multiple_choice":
        return sorted(rng.sample(codes, k=rng.randint(1, len(codes))))
    if question.qtype == "number":
        return rng.randint(0, 300)
    if question.qtype == "date":
        return "2020-01-01"
    if question.qtype == "legal_reference":
        return {"instrument": prose(rng, words, 6), "article": f"Art. {rng.randint(1, 99)}",
                "url": "", "since": None}
    if question.qtype == "contact":
        return {"authority": prose(rng, words, 4), "position": "", "email": "", "phone": "",
                "languages": ""}
    return prose(rng, words, rng.randint(12, 60))


def add_version(seed_id: int, version: int, rng, words) -> None:
    """One more questionnaire version (closed; the seed stays the open one), answered by
    every State, each answer accepted."""
    now = utcnow()
    seed = db.session.get(Questionnaire, seed_id)
    qid = db.session.execute(insert(Questionnaire).values(
        public_id=str(uuid.uuid4()), family=seed.family, version=version, title_en=seed.title_en,
        title_fr=seed.title_fr, status="closed", created_at=now).returning(Questionnaire.id)
    ).scalar_one()
    sections = {}
    for s in seed.sections:
        sections[s.id] = db.session.execute(insert(Section).values(
            questionnaire_id=qid, code=s.code, title_en=s.title_en, title_fr=s.title_fr,
            position=s.position).returning(Section.id)).scalar_one()
    questions = []
    for q in seed.questions:
        new_id = db.session.execute(insert(Question).values(
            questionnaire_id=qid, section_id=sections[q.section_id], key=q.key, qtype=q.qtype,
            text_en=q.text_en, text_fr=q.text_fr, help_en=q.help_en, help_fr=q.help_fr,
            required=q.required, comparable=q.comparable, position=q.position,
            options_json=q.options_json, settings_json=q.settings_json,
            condition_key=q.condition_key, condition_values_json=q.condition_values_json)
            .returning(Question.id)).scalar_one()
        questions.append((new_id, q))
    answer(qid, questions, rng, words)


def answer(questionnaire_id: int, questions, rng, words) -> None:
    now = utcnow()
    for state_id in db.session.scalars(select(State.id).order_by(State.id)):
        response_id = db.session.execute(insert(Response).values(
            public_id=str(uuid.uuid4()), questionnaire_id=questionnaire_id, state_id=state_id,
            status="accepted", created_at=now, updated_at=now).returning(Response.id)
        ).scalar_one()
        ids = db.session.execute(insert(Answer).returning(Answer.id, Answer.question_id), [
            {"response_id": response_id, "question_id": qid, "revision": 1,
             "submitted_revision": 1, "accepted_revision": 1, "secretariat_only": False,
             "review_comment": ""} for qid, _q in questions]).all()
        by_id = dict(questions)
        insert_sealed(AnswerRevision, [
            {"answer_id": a, "number": 1, "saved_at": now, "confirmed_at": now,
             "value_json": json.dumps(_value(by_id[q], rng, words)), "remarks": "",
             "language": rng.choice(LANGUAGES), "secretariat_only": False}
            for a, q in ids])
    db.session.commit()


def add_documents(count: int, author_id: int, rng, words) -> None:
    now = utcnow()
    states = list(db.session.scalars(select(State.id)))
    for _ in range(count):
        (doc_id,) = insert_sealed(Document, [dict(
            public_id=str(uuid.uuid4()), owner_state_id=rng.choice(states),
            created_by_id=author_id, title=prose(rng, words, 8).capitalize(),
            summary=prose(rng, words, 30), document_type="procedure",
            language=rng.choice(LANGUAGES), classification="restricted",
            audience="all_states", shared_with_court=True, status="published",
            created_at=now, updated_at=now, published_at=now)])
        db.session.execute(insert(DocumentTopic).values(document_id=doc_id, topic="freezing"))
        version_public_id = str(uuid.uuid4())
        version_id = db.session.execute(insert(DocumentVersion).values(
            public_id=version_public_id, document_id=doc_id, number=1,
            blob_name=uuid.uuid4().hex, kek_id="document-0001", wrapped_dek="x",
            sealed_meta="x", blob_size=1, created_by_id=author_id, created_at=now)
            .returning(DocumentVersion.id)).scalar_one()
        body = prose(rng, words, rng.randint(300, 1500))
        db.session.execute(insert(DocumentText).values(
            version_id=version_id, document_id=doc_id, status="done", chars=len(body),
            sealed_text=seal_text(body, version_public_id), reason="", attempts=1,
            updated_at=now))
    db.session.commit()


def queries(rng: random.Random, words: list[str], n: int) -> list[str]:
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    middling = [w for w, c in counts.items() if 20 <= c <= 400 and len(w) >= 5]
    mix = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            mix.append(rng.choice(middling))
        elif kind == 1:
            mix.append(f"{rng.choice(middling)} {rng.choice(middling)}")
        elif kind == 2:
            mix.append(f'"{prose(rng, words, 2)}"')
        else:
            mix.append(rng.choice(middling)[:4] + "*")
    return mix


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def profile(app, user_id: int, query: str) -> None:
    """Where the time of one search goes, in this process (the database's share shows as
    the driver's calls)."""
    import cProfile
    import pstats

    with app.test_request_context("/search"):
        user = db.session.get(User, user_id)
        login_user(user)
        search(user, Request(text=query))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            search(user, Request(text=query))
        profiler.disable()
    db.session.remove()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def run_service(app, user_id: int, mix: list[str],
                slowest: int = 0) -> tuple[tuple[float, float], float]:
    times, hits = [], 0
    for query in mix + mix:  # the first pass warms caches; only the second is kept
        with app.test_request_context("/search"):
            login_user(db.session.get(User, user_id))
            started = time.perf_counter()
            outcome = search(db.session.get(User, user_id), Request(text=query))
            times.append(time.perf_counter() - started)
            hits += outcome.found.total
        db.session.remove()
    kept = times[len(mix):]
    for took, query in sorted(zip(kept, mix, strict=True), reverse=True)[:slowest]:
        print(f"    slow: {took * 1000:.0f} ms {query}", flush=True)
    return percentiles(kept), hits / (2 * len(mix))


def _reference_rows(peer: User) -> tuple[list[tuple], list[tuple[int, str]]]:
    """What the index holds, read as the real indexers read it (the same texts: answers with
    their question and section, documents with their title, summary, topics and file text),
    with whether the reader may see each entry by the pages' own rules."""
    session = db.session()
    visible_revisions = {r.id for _a, r in session.execute(visible_answers(peer))}
    visible_docs = set(session.scalars(visible_documents(peer).with_only_columns(Document.id)))
    rows, topics = [], []
    for revision, question, section, state in session.execute(
            select(AnswerRevision, Question, Section, State)
            .join(Answer, AnswerRevision.answer_id == Answer.id)
            .join(Question, Answer.question_id == Question.id)
            .join(Section, Question.section_id == Section.id)
            .join(Response, Answer.response_id == Response.id)
            .join(State, Response.state_id == State.id)):
        body = answer_buckets(question, revision, (section.title_en, section.title_fr))
        rows.append(("answer", revision.id, body.everything(), state.iso3, state.regional_group,
                     section.code, question.key, "", revision.language,
                     int(revision.id in visible_revisions)))
    for document, state in session.execute(
            select(Document, State).join(State, Document.owner_state_id == State.id)):
        body = document_buckets(document.title, document.summary, document.language,
                                document.document_type, document.topics,
                                file_text(session, document.published_version))
        rows.append(("document", document.id, body.everything(), state.iso3,
                     state.regional_group, "", "", document.document_type, document.language,
                     int(document.id in visible_docs)))
        topics += [(document.id, topic) for topic in document.topics]
    return rows, topics


# The facets each kind of entry is counted by, as the service counts them.
_REFERENCE_FACETS = {"answer": ("state", "grp", "section", "question", "lang"),
                     "document": ("state", "grp", "type", "lang")}


def fts5_reference(peer: User, mix: list[str]) -> tuple[tuple[float, float], float]:
    """The same work in SQLite FTS5, in memory: the same entries (answers and documents with
    their file text), visibility as a column, the same facets per kind (topics through their
    own table), the page of 20 across both kinds by rank with snippets, and that page's rows
    read back. No audit record, no page rendering: a floor, not a rival."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, kind UNINDEXED, ref UNINDEXED, "
                 "state UNINDEXED, grp UNINDEXED, section UNINDEXED, question UNINDEXED, "
                 "type UNINDEXED, lang UNINDEXED, visible UNINDEXED, "
                 "tokenize='porter unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE topics (ref INTEGER, topic TEXT)")
    conn.execute("CREATE INDEX topics_ref ON topics (ref)")
    rows, topics = _reference_rows(peer)
    conn.executemany("INSERT INTO t (kind, ref, body, state, grp, section, question, type, lang, "
                     "visible) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO topics VALUES (?, ?)", topics)
    conn.commit()
    times, hits = [], 0
    for query in mix + mix:
        match = " ".join(w if w.endswith("*") or w.startswith('"') else f'"{w}"'
                         for w in query.split()) if not query.startswith('"') else query
        started = time.perf_counter()
        total = 0
        for kind, columns in _REFERENCE_FACETS.items():
            where = "t MATCH ? AND visible = 1 AND kind = ?"
            total += conn.execute(f"SELECT count(*) FROM t WHERE {where}",  # noqa: S608
                                  (match, kind)).fetchone()[0]
            for column in columns:
                conn.execute(f"SELECT {column}, count(*) FROM t WHERE {where} "  # noqa: S608
                             f"GROUP BY {column}", (match, kind)).fetchall()
        conn.execute("SELECT topic, count(*) FROM t JOIN topics ON topics.ref = t.ref "
                     "WHERE t MATCH ? AND visible = 1 AND kind = 'document' GROUP BY topic",
                     (match,)).fetchall()
        page = conn.execute("SELECT rowid, snippet(t, 0, '<mark>', '</mark>', '…', 24) FROM t "
                            "WHERE t MATCH ? AND visible = 1 ORDER BY rank LIMIT 20",
                            (match,)).fetchall()
        shown = [rowid for rowid, _snippet in page]
        conn.execute(f"SELECT kind, ref, state, question, type, lang FROM t "  # noqa: S608
                     f"WHERE rowid IN ({','.join('?' * len(shown)) or 'NULL'})",
                     shown).fetchall()
        times.append(time.perf_counter() - started)
        hits += total
    conn.close()
    return percentiles(times[len(mix):]), hits / (2 * len(mix))


def commit_to_searchable(app, owner_id: int, document_id: int, trials: int = 5) -> float:
    worst = 0.0
    for i in range(trials):
        word = f"freshword{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        with app.app_context():
            document = db.session.get(Document, document_id)
            document.title = f"Procedure {word} {i}"
            db.session.commit()  # with Whoosh, this process drains the outbox after commit
            db.session.remove()
        while True:
            with app.test_request_context("/search"):
                login_user(db.session.get(User, owner_id))
                total = search(db.session.get(User, owner_id), Request(text=word)).found.total
            db.session.remove()
            if total:
                break
            if time.perf_counter() - started > 30:
                raise SystemExit(f"not searchable after 30 s: {word}")
        worst = max(worst, time.perf_counter() - started)
    return worst * 1000


def index_mib(app, name: str) -> float:
    """What the index takes at rest: PostgreSQL's tables with their indexes and TOAST, or
    the Whoosh folder's files."""
    if name == "postgresql":
        size = db.session.scalar(text(
            "SELECT pg_total_relation_size('search_texts') "
            "+ pg_total_relation_size('search_words')"))
        db.session.remove()
    else:
        with app.app_context():
            folder = whoosh_index.root(app)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return size / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database")
    parser.add_argument("--sizes", default="10000,20000,100000")
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--backends", default="postgresql,whoosh")
    parser.add_argument("--slowest", type=int, default=0,
                        help="print this many of the slowest queries of each run")
    parser.add_argument("--profile", default="",
                        help="a query to profile (cProfile) after each run, as a focal point")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(20261124)
    words = vocabulary()
    mix = queries(rng, words, args.queries)
    print(f"vocabulary {len(words):,} words from {SEEDS}; {len(mix)} queries, e.g. {mix[:4]}")
    # The tables are made from the models: the trigram index needs its extension first.
    with create_engine(normalise_database_url(args.database_url)).begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    with tempfile.TemporaryDirectory() as tmp, bench_app(Path(tmp), args.database_url) as (
            app, dialect):
        assert dialect.startswith("postgresql"), "both backends need PostgreSQL"
        postgresql_setup()
        load_states()
        seed, _ = load_seed()
        seed_id = seed.id
        states = list(db.session.scalars(select(State.id).order_by(State.iso3)))
        peer = User(email="peer@example.org", role="focal_point", state_id=states[0],
                    status="active")
        owner = User(email="owner@example.org", role="focal_point", state_id=states[1],
                     status="active")
        db.session.add_all([peer, owner])
        db.session.commit()
        peer_id, owner_id = peer.id, owner.id
        add_documents(args.documents, owner_id, rng, words)
        probe = db.session.scalar(select(Document.id).where(
            Document.owner_state_id == states[1]).limit(1))
        if probe is None:
            probe = db.session.scalar(select(Document.id).limit(1))
            db.session.get(Document, probe).owner_state_id = states[1]
            db.session.commit()
        questions = [(q.id, q) for q in seed.questions]
        answer(seed_id, questions, rng, words)
        version = 1
        print("| answers | backend | build | entries/s | index | query p50 | query p95 "
              "| mean hits | commit → searchable |")
        print("|---|---|---|---|---|---|---|---|---|")
        for size in sizes:
            while db.session.scalar(select(func.count()).select_from(Answer)) < size:
                version += 1
                add_version(seed_id, version, rng, words)
            total = db.session.scalar(select(func.count()).select_from(Answer))
            # Statistics as autovacuum keeps them on a live database: the corpus was just
            # bulk-loaded, and a planner that believes 2,000 documents are 5 picks its joins
            # for 5.
            db.session.commit()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            measured: dict[str, float] = {}
            for name in args.backends.split(","):
                app.config["SEARCH_BACKEND"] = name
                engine = backends.backend(app)
                db.session.remove()
                started = time.perf_counter()
                entries = engine.rebuild(app, wait=True)
                build = time.perf_counter() - started
                db.session.remove()
                (p50, p95), hits = run_service(app, peer_id, mix, args.slowest)
                measured[name] = p95
                if args.profile:
                    profile(app, peer_id, args.profile)
                fresh = commit_to_searchable(app, owner_id, probe)
                print(f"| {total:,} | {name} | {build:.1f} s | {entries / build:,.0f} "
                      f"| {index_mib(app, name):.0f} MiB | {p50:.0f} ms | {p95:.0f} ms "
                      f"| {hits:,.0f} | {fresh:.0f} ms |", flush=True)
            (p50, p95), hits = fts5_reference(db.session.get(User, peer_id), mix)
            print(f"| {total:,} | SQLite FTS5 (equal-work reference) | – | – | – "
                  f"| {p50:.1f} ms | {p95:.1f} ms | {hits:,.0f} | – |", flush=True)
            for name, backend_p95 in measured.items():
                goal = GOALS.get((name, size))
                verdict = "" if goal is None else (
                    f" (goal ≤ {goal:.1f}×: {'met' if backend_p95 / p95 <= goal else 'NOT met'})")
                print(f"|   | {name} p95 ÷ reference p95 = {backend_p95 / p95:.2f}×{verdict} "
                      "| | | | | | | |", flush=True)
            db.session.remove()


if __name__ == "__main__":
    main()
