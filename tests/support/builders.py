"""Scenario data through the services, as the pages store it but without their round trips
(each save through the pages is a GET for the form, a GET for its token and a POST).

The pages' own behaviour is tested by their journeys (tests/functional/questionnaires/
test_answering.py, the moderation tests); a test that only needs answers in a given state
builds them here. The same services the views call do the work, so the rules (who may answer,
which transitions exist) still apply: a builder that asks for something the rules refuse fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from coop_platform.auth.models import User
from coop_platform.auth.services.common import find_user_by_email
from coop_platform.core.clock import utcnow
from coop_platform.documents.models import Document
from coop_platform.documents.services.documents import DocumentInput, create_document
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.questionnaires.forms import read_changes
from coop_platform.questionnaires.models import Questionnaire, Response
from coop_platform.questionnaires.services import answering, review
from coop_platform.states.models import State


def person(email: str) -> User:
    """The account with this address (in an app context), found as sign-in finds it: by the
    blind index of the address."""
    user = find_user_by_email(email)
    if user is None:
        raise LookupError(f"no account {email}")
    return user


@contextmanager
def _session(app: Flask) -> Iterator[None]:
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


def _questionnaire(qid: str) -> Questionnaire:
    return db.session.scalars(select(Questionnaire).where(Questionnaire.public_id == qid)).one()


def save_answers(app: Flask, user_id: int, qid: str, section: str | None, fields: dict
                 ) -> list[str]:
    """Save answers as the section page would (each from its current revision, in English
    unless the fields say otherwise), in one save: one section's, or with `section` None any
    questions' (one commit instead of one per section); returns the keys saved."""
    with _session(app):
        user = db.session.get_one(User, user_id)
        questionnaire = _questionnaire(qid)
        response = answering.start_response(user, questionnaire)
        current = answering.working_revisions(response)
        form: MultiDict[str, str] = MultiDict()
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                form.add(name, item)
        for key in {".".join(name.split(".")[:2]) for name in fields}:
            form.setdefault(f"{key}.language", "en")
            form[f"{key}.base"] = str(current[key][0].revision)
        questions = [q for q in questionnaire.questions
                     if section is None or q.section.code == section]
        changes, errors = read_changes(questions, form)
        assert not errors, errors
        outcome = answering.save(user, response, changes)
        assert not outcome.stale, outcome.stale
        return outcome.saved


def _response(iso3: str, qid: str) -> Response:
    return db.session.scalars(
        select(Response).join(State, Response.state_id == State.id)
        .join(Questionnaire, Response.questionnaire_id == Questionnaire.id)
        .where(State.iso3 == iso3, Questionnaire.public_id == qid)).one()


def submit(app: Flask, user_id: int, qid: str) -> None:
    with _session(app):
        user = db.session.get_one(User, user_id)
        response = answering.my_response(user, _questionnaire(qid))
        assert response is not None
        answering.submit(user, response)


def decide(app: Flask, moderator_id: int, iso3: str, qid: str, action: str,
           reason: str = "") -> None:
    with _session(app):
        review.decide(db.session.get_one(User, moderator_id), _response(iso3, qid), action,
                      reason=reason)


def document(app: Flask, owner_id: int, status: str = "draft", text: str = "Article 12.",
             **fields: object) -> str:
    """A document of the owner's State, stored encrypted through the upload service, put in
    `status` directly (the transitions have their own tests); returns its public id."""
    with _session(app):
        sink = UploadSink()
        sink(filename="procedure.txt")
        sink.write(text.encode())
        data = DocumentInput(**{"title": "Procedure for the freezing of assets",
                                "summary": "Competent authority and time limits.",
                                "topics": ["freezing"], **fields})  # type: ignore[arg-type]
        created: Document = create_document(db.session.get_one(User, owner_id), data, sink)
        put_in_status(created, status)
        db.session.commit()
        return created.public_id


def put_in_status(document: Document, status: str) -> None:
    """The status set directly; a published (or since withdrawn) document also gets what its
    publication gives it: its current version released to readers, and its dates."""
    document.status = status
    if status in ("published", "withdrawn"):
        now = utcnow()
        document.published_at = document.revised_at = document.confirmed_at = now
        document.versions[0].released_at = now
