"""Who reads which answer, generated from one table: each hidden category holds a unique
word, and no page that shows answers may show it to a reader outside the row's set — while a
reader inside it must see it (so the test cannot pass by showing nothing)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import select

from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision
from coop_platform.questionnaires.services.visibility import (
    visible_answer_branches,
    visible_answers,
)
from coop_platform.states.models import State
from tests.support.questionnaires import (
    answer_required,
    place_answer_canaries,
    seeded_questionnaire,
)

# category -> (State holding it, its unique word, readers who may see the word). Written
# from PRODUCT.md and the issue, not from the product's code.
TABLE = {
    "draft": ("DEU", "canarydraft", {"own"}),
    "submitted": ("ITA", "canarysubmitted", {"own", "secretariat"}),
    "returned": ("ESP", "canaryreturned", {"own", "secretariat"}),
    "accepted": ("BEL", "canaryaccepted", {"own", "other", "secretariat", "court"}),
    "accepted_then_revising": ("NLD", "canaryrevision", {"own"}),
    "accepted_before_the_revision": ("NLD", "canarybeforerevision",
                                     {"own-not", "other", "secretariat", "court"}),
    "secretariat_only": ("PRT", "canarysecretariatonly", {"own", "secretariat"}),
    "inactive_state": ("AUT", "canaryinactive", {"secretariat"}),
}
READERS = ("own", "other", "secretariat", "court")


def _routes(qid: str, iso3: str) -> list[str]:
    q = f"/questionnaires/{qid}"
    pages = [f"{q}/states/{iso3}", f"{q}/states/{iso3}/print", f"/states/{iso3}", "/directory/",
             f"{q}/compare/B.5", f"{q}/compare/B.5?value=none",
             f"{q}/grid?q=A.3&q=B.5", f"{q}/grid?q=B.5&group=WEOG"]
    files = [f"{q}/states/{iso3}/export.{{fmt}}?layout={{layout}}",
             f"{q}/compare/B.5/export.{{fmt}}?layout={{layout}}",
             f"{q}/grid/export.{{fmt}}?q=A.3&q=B.5&layout={{layout}}",
             f"{q}/export.{{fmt}}?layout={{layout}}"]
    return pages + [f.format(fmt=fmt, layout=layout) for f in files
                    for fmt in ("csv", "xlsx") for layout in ("long", "wide")]


def _text(page) -> str:
    """What a reader gets: the page, the CSV, or every cell of every sheet of the XLSX."""
    if page.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(page.get_data()), read_only=True)
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                         for v in row if v is not None)
    return page.get_data(as_text=True)


def _world(app, logged_in, runner, closed: bool):
    qid = seeded_questionnaire(app)
    moderator, _ = logged_in("moderator", None)
    owners = {}
    for iso3 in sorted({state for state, _, _ in TABLE.values()}):
        owners[iso3], _ = logged_in("focal_point", iso3)
        answer_required(owners[iso3], qid)

    place_answer_canaries(app, owners, moderator, qid)
    readers = {"other": logged_in("focal_point", "SEN")[0], "secretariat": moderator,
               "court": logged_in("court", None)[0]}
    with app.app_context():
        db.session.scalars(select(State).where(State.iso3 == "AUT")).one().active = False
        db.session.commit()
        db.session.remove()
    if closed:
        assert runner.invoke(args=["questionnaires", "close", qid]).exit_code == 0
    return qid, owners, readers


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed-questionnaire"])
def test_no_answer_reaches_a_reader_outside_its_audience(app, logged_in, runner, closed):
    qid, owners, readers = _world(app, logged_in, runner, closed)
    leaks, misses = [], []
    # The world does not change while it is read, and a GET changes nothing: each reader
    # fetches each page once (the pages of every State are the same for every category).
    fetched: dict = {}

    def get(client, path):
        if (id(client), path) not in fetched:
            page = client.get(path)
            fetched[(id(client), path)] = (page, _text(page) if page.status_code == 200 else "")
        return fetched[(id(client), path)]

    for category, (iso3, word, audience) in TABLE.items():
        for reader in READERS:
            if reader == "own" and category == "inactive_state":
                continue  # an inactive State's users cannot sign in
            client = owners[iso3] if reader == "own" else readers[reader]
            may = reader in audience
            read = {path: get(client, path) for path in _routes(qid, iso3)}
            pages = {path: page for path, (page, _text_) in read.items()}
            texts = {path: text for path, (page, text) in read.items() if page.status_code == 200}
            for path, page in pages.items():
                # An inactive State's own page is out of peers' reach altogether.
                expected = (200, 404) if category == "inactive_state" and not may else (200,)
                assert page.status_code in expected, (path, page.status_code)
                if word in texts.get(path, "") and not may:
                    leaks.append((category, reader, path))
            # Every kind of route shows the word to those who may read it.
            for kind in ("/print", "export.csv", "export.xlsx", "/compare/B.5", "/directory/"):
                if may and not any(word in text for path, text in texts.items() if kind in path):
                    misses.append((category, reader, kind))
            if may and word not in texts.get(f"/states/{iso3}", ""):
                misses.append((category, reader, "State profile"))
    assert leaks == []
    assert misses == []


def test_no_role_and_no_user_read_no_answer(app, logged_in, runner):
    """Deny by default: the rule names the roles that read; anything else reads nothing."""
    _world(app, logged_in, runner, closed=False)
    with app.app_context():
        moderator = SimpleNamespace(is_authenticated=True, role="moderator", state_id=None)
        assert db.session.execute(visible_answers(moderator)).all()  # the world has answers
        for nobody in (None, SimpleNamespace(is_authenticated=False, role="moderator",
                                             state_id=None),
                       SimpleNamespace(is_authenticated=True, role="auditor", state_id=1)):
            assert db.session.execute(visible_answers(nobody)).all() == []
        db.session.remove()


def test_the_rule_in_branches_is_the_rule(app, logged_in, runner):
    """The search reads the rule as separate branches (a focal point's: its own State's
    answers, and its peers'); for every reader of the world they must give exactly the rows of
    the rule, each once."""
    _world(app, logged_in, runner, closed=False)
    with app.app_context():
        ids = dict(db.session.execute(select(State.iso3, State.id)).all())
        readers = [SimpleNamespace(is_authenticated=True, role="focal_point", state_id=ids[iso3])
                   for iso3 in sorted({state for state, _, _ in TABLE.values()} | {"SEN"})]
        readers += [SimpleNamespace(is_authenticated=True, role=role, state_id=None)
                    for role in ("moderator", "admin", "court", "auditor")]
        readers += [None, SimpleNamespace(is_authenticated=False, role="focal_point",
                                          state_id=ids["DEU"])]
        seen_by_someone = set()
        for reader in readers:
            rule = db.session.execute(visible_answers(reader).with_only_columns(
                Answer.id, AnswerRevision.id)).all()
            branches = [row for branch in visible_answer_branches(reader)
                        for row in db.session.execute(branch.with_only_columns(
                            Answer.id, AnswerRevision.id)).all()]
            assert sorted(branches) == sorted(rule), reader
            assert len(set(rule)) == len(rule)
            seen_by_someone |= set(rule)
        # Rows were compared, not empty lists: the world holds every category's answers.
        assert len(seen_by_someone) > len(TABLE)
        db.session.remove()
