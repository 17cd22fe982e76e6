"""Helpers for questionnaire tests: the seeded questionnaire, answers through the pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, Question, Questionnaire, Response
from coop_platform.questionnaires.services.authoring import load_seed
from coop_platform.states.models import State
from tests.conftest import post_form
from tests.support import builders

BASE_RE = re.compile(r'name="([A-H]\.\d+)\.base" value="(\d+)"')


def seeded_questionnaire(app) -> str:
    with app.app_context():
        questionnaire, _ = load_seed()
        public_id = questionnaire.public_id
        db.session.remove()
    return public_id


def start(client, qid: str):
    """Start the State's response through its page (a GET never starts it)."""
    path = f"/questionnaires/{qid}/response"
    return post_form(client, f"{path}/start", {}, token_path=path)


def bases(client, qid: str, section: str) -> dict[str, str]:
    page = client.get(f"/questionnaires/{qid}/response/{section}")
    if page.status_code == 302:  # not started yet: the response page starts it
        assert start(client, qid).status_code == 303
        page = client.get(f"/questionnaires/{qid}/response/{section}")
    assert page.status_code == 200, page.status_code
    return dict(BASE_RE.findall(page.get_data(as_text=True)))


def save(client, qid: str, section: str, fields: dict, base: dict | None = None):
    """Post answers of one section; `fields` maps "B.5.value" etc. to values. Each question
    named in the fields is sent with its current base revision unless `base` says otherwise."""
    path = f"/questionnaires/{qid}/response/{section}"
    current = bases(client, qid, section)
    keys = {".".join(name.split(".")[:2]) for name in fields}
    data = dict(fields)
    for key in keys:
        data.setdefault(f"{key}.language", "en")
        data[f"{key}.base"] = (base or {}).get(key, current.get(key, "0"))
    return post_form(client, path, data, token_path=path)


def act(client, qid: str, action: str):
    path = f"/questionnaires/{qid}/response/{action}"
    return post_form(client, path, {}, token_path=f"/questionnaires/{qid}/response")


def response_id(app, iso3: str, qid: str) -> str:
    with app.app_context():
        public_id = db.session.scalar(
            select(Response.public_id).join(State, Response.state_id == State.id)
            .join(Questionnaire, Response.questionnaire_id == Questionnaire.id)
            .where(State.iso3 == iso3, Questionnaire.public_id == qid))
        db.session.remove()
    return public_id


def decide(client, rid: str, action: str, reason: str = "", comments: dict | None = None):
    path = f"/moderation/responses/{rid}"
    data = {"reason": reason, **{f"comment.{k}": v for k, v in (comments or {}).items()}}
    return post_form(client, f"{path}/{action}", data, token_path=path)


def revision_of(app, iso3: str, key: str) -> int:
    with app.app_context():
        number = db.session.scalar(
            select(Answer.revision).join(Response, Answer.response_id == Response.id)
            .join(State, Response.state_id == State.id)
            .join(Question, Answer.question_id == Question.id)
            .where(State.iso3 == iso3, Question.key == key))
        db.session.remove()
    return number or 0


# The required questions of the seed, with valid answers: enough to submit.
REQUIRED = {
    "A": {"A.1.authority": "Ministry of Justice", "A.1.email": "icc@justice.example.org",
          "A.3.value": "central_authority", "A.4.value": ["en", "fr"]},
    "B": {"B.1.value": "no", "B.3.value": "yes", "B.4.value": ["mla"], "B.6.value": "yes"},
    "C": {"C.1.value": ["police", "prosecutor"], "C.2.value": "no"},
    "D": {"D.1.value": ["judge"], "D.2.value": "new_order", "D.3.value": "no",
          "D.7.value": "An order of the Court and the identification of the assets."},
    "F": {"F.1.value": "no"},
}


def _save(client, qid: str, section: str, fields: dict) -> None:
    """Scenario data: through the services for a client that carries its account (the
    `logged_in` fixture's), else through the pages."""
    account = getattr(client, "account", None)
    if account is not None:
        builders.save_answers(client.application, account.id, qid, section, fields)
        return
    page = save(client, qid, section, fields)
    assert page.status_code == 303, page.get_data(as_text=True)[:3000]


def answer_required(client, qid: str) -> None:
    account = getattr(client, "account", None)
    if account is not None:  # every section in one save through the services
        builders.save_answers(client.application, account.id, qid, None,
                              {k: v for fields in REQUIRED.values() for k, v in fields.items()})
        return
    for section, fields in REQUIRED.items():
        _save(client, qid, section, fields)


def answer_with_word(client, qid: str, word: str, secretariat_only: bool = False) -> None:
    """A unique word in B.5 (a long text) and in section A's contact (the directory)."""
    b = {"B.5.value": f"Grounds: {word}.",
         **({"B.5.secretariat_only": "y"} if secretariat_only else {})}
    a = {"A.1.authority": f"Office {word}",
         **({"A.1.secretariat_only": "y"} if secretariat_only else {})}
    account = getattr(client, "account", None)
    if account is not None:  # both in one save through the services
        builders.save_answers(client.application, account.id, qid, None, {**b, **a})
        return
    _save(client, qid, "B", b)
    _save(client, qid, "A", a)


def place_answer_canaries(app, owners: dict, moderator, qid: str) -> None:
    """One word per hidden category of answer, each State's response brought to the status
    its category names (the owners have answered the required questions). Built through the
    services: the pages that submit and decide have their own journeys."""
    def submit(iso3):
        builders.submit(app, owners[iso3].account.id, qid)

    def accept(iso3):
        submit(iso3)
        builders.decide(app, moderator.account.id, iso3, qid, "accept")

    answer_with_word(owners["DEU"], qid, "canarydraft")
    answer_with_word(owners["ITA"], qid, "canarysubmitted")
    submit("ITA")
    answer_with_word(owners["ESP"], qid, "canaryreturned")
    submit("ESP")
    builders.decide(app, moderator.account.id, "ESP", qid, "return", "Please complete.")
    answer_with_word(owners["BEL"], qid, "canaryaccepted")
    accept("BEL")
    answer_with_word(owners["NLD"], qid, "canarybeforerevision")
    accept("NLD")
    answer_with_word(owners["NLD"], qid, "canaryrevision")
    answer_with_word(owners["PRT"], qid, "canarysecretariatonly", secretariat_only=True)
    accept("PRT")
    answer_with_word(owners["AUT"], qid, "canaryinactive")
    accept("AUT")


def respond(app, owner_id: int, qid: str, fields: dict | None = None,
            accepted_by: int | None = None) -> None:
    """A State's whole response through the services: the required answers and `fields`,
    submitted, and accepted when a moderator's id is given."""
    required = {k: v for section in REQUIRED.values() for k, v in section.items()}
    builders.save_answers(app, owner_id, qid, None, {**required, **(fields or {})})
    builders.submit(app, owner_id, qid)
    if accepted_by is not None:
        iso3 = _state_of(app, owner_id)
        builders.decide(app, accepted_by, iso3, qid, "accept")


def _state_of(app, user_id: int) -> str:
    from coop_platform.auth.models import User

    with app.app_context():
        iso3 = db.session.scalar(select(State.iso3).join(User, User.state_id == State.id)
                                 .where(User.id == user_id))
        db.session.remove()
    return iso3
