"""Questionnaire pages at full size, measured in one run.

125 States × 40 questions, each answer with 3 revisions (the last accepted): the time to build
and render the comparison page of one question (with its charts), a State's profile, the grid
of 10 questions, the directory of
focal points and the full XLSX export (every question, every State, long layout), for a focal
point and for the Secretariat, and the number of SQL statements per page — printed for 25 and
for 125 answering States, to show that it does not grow with the number of States.

    .venv/bin/python benchmarks/questionnaire_pages.py [--repeat 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app, insert_sealed  # noqa: E402
from flask_login import login_user  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from coop_platform.auth.models import User  # noqa: E402
from coop_platform.core.clock import utcnow  # noqa: E402
from coop_platform.extensions import db  # noqa: E402
from coop_platform.profiles import views as profile_views  # noqa: E402
from coop_platform.questionnaires import views  # noqa: E402
from coop_platform.questionnaires.models import (  # noqa: E402
    Answer,
    AnswerRevision,
    Questionnaire,
    Response,
)
from coop_platform.questionnaires.services.authoring import load_seed  # noqa: E402
from coop_platform.states.models import State  # noqa: E402
from coop_platform.states.services import load_states  # noqa: E402


def _value(question, i: int):
    codes = [c for c, _ in question.options]
    if question.qtype in ("yes_no", "yes_partly_no", "single_choice"):
        return codes[i % len(codes)]
    if question.qtype == "multiple_choice":
        return codes[: 1 + i % len(codes)]
    if question.qtype == "number":
        return i % 300
    if question.qtype == "legal_reference":
        return {"instrument": f"Act {i}", "article": "Art. 3", "url": "", "since": None}
    if question.qtype == "contact":
        return {"authority": f"Authority {i}", "position": "", "email": "", "phone": "",
                "languages": ""}
    return f"Answer text {i} on grounds, authorities and time limits. " * 3


def populate(questionnaire_id: int, state_ids: list[int]) -> None:
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    states = [db.session.get(State, i) for i in state_ids]
    now = utcnow()
    for state in states:
        n = state.id
        response_id = db.session.execute(insert(Response).values(
            questionnaire_id=questionnaire.id, state_id=state.id, status="accepted",
            public_id=f"00000000-0000-4000-8000-{n:012d}", created_at=now, updated_at=now)
            .returning(Response.id)).scalar_one()
        answers = [{"response_id": response_id, "question_id": q.id, "revision": 3,
                    "submitted_revision": 3, "accepted_revision": 3, "secretariat_only": False,
                    "review_comment": ""} for q in questionnaire.questions]
        ids = db.session.execute(insert(Answer).returning(Answer.id, Answer.question_id),
                                 answers).all()
        questions = {q.id: q for q in questionnaire.questions}
        insert_sealed(AnswerRevision, [
            {"answer_id": answer_id, "number": number, "saved_at": now, "confirmed_at": now,
             "value_json": json.dumps(_value(questions[qid], n + number)), "remarks": "",
             "language": "en", "secretariat_only": False}
            for answer_id, qid in ids for number in (1, 2, 3)])
    db.session.commit()


def _body(result) -> bytes:
    """A rendered page (text) or a file response (bytes)."""
    if isinstance(result, str):
        return result.encode()
    result.direct_passthrough = False
    return result.get_data()


def measure(app, user_id: int, path: str, view, repeat: int
            ) -> tuple[float, float, int, int]:
    statements = []
    engine = db.engine

    def count(*_args, **_kw):
        statements.append(1)

    times = []
    for _ in range(repeat):
        statements.clear()
        with app.test_request_context(path):
            login_user(db.session.get(User, user_id))
            event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            body = _body(view())
            times.append(time.perf_counter() - start)
            event.remove(engine, "before_cursor_execute", count)
            assert b"<h1" in body or body.startswith(b"PK")  # a page, or an XLSX (zip)
        db.session.remove()
    return statistics.median(times) * 1000, max(times) * 1000, len(statements), len(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_app(Path(tmp), args.database_url) as (
            app, dialect):
        load_states()
        questionnaire, _ = load_seed()
        states = list(db.session.scalars(select(State).order_by(State.iso3)))
        state_ids = [s.id for s in states]
        secretariat = User(email="mod@example.org", role="moderator", status="active")
        focal = User(email="fp@example.org", role="focal_point", state=states[0],
                     status="active")
        db.session.add_all([secretariat, focal])
        db.session.commit()
        qid, questionnaire_id = questionnaire.public_id, questionnaire.id
        keys = [q.key for q in questionnaire.questions][:10]
        readers = [(focal.id, "focal point"), (secretariat.id, "Secretariat")]
        count = len(questionnaire.questions)
        pages = {
            "comparison D.3": ("/", lambda: views.compare(public_id=qid, key="D.3")),
        "State profile": ("/", lambda: profile_views.state(iso3=states[-1].iso3)),
            "grid of 10 questions": ("/?" + "&".join(f"q={k}" for k in keys),
                                     lambda: views.grid(public_id=qid)),
            "directory": ("/", views.directory_page),
            "XLSX, all questions": ("/?layout=long",
                                    lambda: views.export_questionnaire(public_id=qid,
                                                                       fmt="xlsx")),
        }
        print(f"database: {dialect}; {count} questions, 3 revisions each")
        print(f"{'answering States':>17} {'page':<22} {'reader':<12} {'median ms':>10} "
              f"{'max ms':>8} {'SQL':>5} {'KiB':>7}")
        done = 0
        for size in (25, 125):
            populate(questionnaire_id, state_ids[done:size])
            done = size
            for name, (path, view) in pages.items():
                for user_id, role in readers:
                    median, worst, sql, size_bytes = measure(app, user_id, path, view,
                                                             args.repeat)
                    print(f"{size:>17} {name:<22} {role:<12} {median:>10.1f} "
                          f"{worst:>8.1f} {sql:>5} {size_bytes / 1024:>7.0f}")


if __name__ == "__main__":
    main()
