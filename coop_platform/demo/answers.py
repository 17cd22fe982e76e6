"""Demo answers to the cooperation questionnaire, so a newcomer sees the comparison, the
review and staleness at work: France and Japan accepted (Japan with one "Secretariat only"
answer; some French answers last confirmed over a year ago), Senegal returned with a comment,
Argentina a draft, Poland submitted. Every text says it is demo content."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from coop_platform.core.clock import utcnow
from coop_platform.demo.people import demo_person
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Question,
    QuestionnaireStatus,
    Response,
)
from coop_platform.questionnaires.services import answering, authoring, review
from coop_platform.questionnaires.values import parse_entry

COMMON: dict[str, str | list[str]] = {
    "A.3.value": "central_authority", "A.4.value": ["en", "fr"], "A.6.value": "registry",
    "B.3.value": "yes", "B.4.value": ["icc_act", "mla"], "B.6.value": "yes",
    "C.1.value": ["police", "prosecutor", "aro"], "C.2.value": "yes",
    "D.1.value": ["judge"], "D.2.value": "new_order", "D.3.value": "yes",
    "D.4.value": "30", "F.1.value": "yes",
    "D.7.value": "[Demo] The Court's order, the identity of the person and a description of "
                 "the assets with their location.",
}
# State -> (answers on top of COMMON, final status)
DEMO_ANSWERS: dict[str, tuple[dict[str, str | list[str]], str]] = {
    "FRA": ({"B.1.value": "yes", "B.2.instrument": "[Demo] Code of criminal procedure",
             "B.2.article": "Art. 627 ff.", "B.2.since": "2002-02-26",
             "D.8.value": "partly", "D.8.remarks": "[Demo] Notice may be postponed."},
            "accepted"),
    "JPN": ({"B.1.value": "partly", "B.2.instrument": "[Demo] Act on cooperation with the ICC",
             "B.2.article": "Art. 38-47", "A.4.value": ["en"],
             "G.4.value": "[Demo] Internal lessons on a pending case.",
             "G.4.secretariat_only": "y"}, "accepted"),
    "SEN": ({"B.1.value": "no", "A.4.value": ["fr"], "A.3.value": "diplomatic",
             "D.3.value": "no"}, "returned"),
    "ARG": ({"B.1.value": "partly", "B.2.instrument": "[Demo] Ley 26.200",
             "A.4.value": ["es", "en"]}, "draft"),
    "POL": ({"B.1.value": "yes", "B.2.instrument": "[Demo] Code of criminal procedure",
             "B.2.article": "Art. 611a ff."}, "submitted"),
}


def _contact(state_iso3: str) -> dict[str, str | list[str]]:
    # .invalid (the demo accounts' domain) is refused as a contact address: example.org.
    return {"A.1.authority": f"[Demo] Central authority of {state_iso3}",
            "A.1.position": "Head of the cooperation unit",
            "A.1.email": f"icc.{state_iso3.lower()}@demo.example.org", "A.1.languages": "en, fr"}


def seed_answers(domain: str) -> None:
    questionnaire, _ = authoring.load_seed()
    if questionnaire.status != QuestionnaireStatus.OPEN:
        return
    seeded = set()
    moderator = demo_person(f"moderator@{domain}")
    for iso3, (extra, status) in DEMO_ANSWERS.items():
        user = demo_person(f"focal.{iso3.lower()}@{domain}")
        if answering.my_response(user, questionnaire) is not None:
            continue  # seeded before: left as it is now
        response = answering.start_response(user, questionnaire)
        form: MultiDict[str, str] = MultiDict()
        for name, value in {**COMMON, **_contact(iso3), **extra}.items():
            for item in (value if isinstance(value, list) else [value]):
                form.add(name, item)
        keys = sorted({".".join(n.split(".")[:2]) for n in form})
        questions = {q.key: q for q in questionnaire.questions}
        changes = [answering.Change(questions[k], parse_entry(questions[k], form, k), 0)
                   for k in keys]
        answering.save(user, response, changes)
        seeded.add(iso3)
        if status == "draft":
            continue
        answering.submit(user, response)
        if status == "accepted":
            review.decide(moderator, response, "accept")
        elif status == "returned":
            review.decide(moderator, response, "return",
                          comments={"D.3": "[Demo] Please say whether an INTERPOL notice "
                                           "suffices."})
    if "FRA" in seeded:
        _age_some_french_answers()


def _age_some_french_answers() -> None:
    """Three French answers were last confirmed 14 months ago (the staleness list shows them)."""
    long_ago = utcnow() - timedelta(days=430)
    ids = db.session.scalars(
        select(AnswerRevision.id).join(Answer, AnswerRevision.answer_id == Answer.id)
        .join(Response, Answer.response_id == Response.id)
        .join(Question, Answer.question_id == Question.id)
        .where(Question.key.in_(("C.2", "D.4", "F.1")),
               Response.state.has(iso3="FRA")))
    db.session.execute(update(AnswerRevision).where(AnswerRevision.id.in_(list(ids)))
                       .values(saved_at=long_ago, confirmed_at=long_ago))
    db.session.commit()
