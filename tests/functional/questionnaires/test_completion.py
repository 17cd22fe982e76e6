"""The Secretariat's completion dashboard and staleness list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from coop_platform.core.clock import utcnow
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question
from tests.support.questionnaires import (
    act,
    answer_required,
    decide,
    response_id,
    save,
    seeded_questionnaire,
)


def _age(app, key: str, days: int) -> None:
    with app.app_context():
        ids = select(AnswerRevision.id).join(Answer, AnswerRevision.answer_id == Answer.id).join(
            Question, Answer.question_id == Question.id).where(Question.key == key)
        db.session.execute(update(AnswerRevision).where(AnswerRevision.id.in_(ids))
                           .values(confirmed_at=utcnow() - timedelta(days=days)))
        db.session.commit()
        db.session.remove()


def _row(text: str, name: str) -> str:
    return text.split(f">{name}</a>")[1].split("</tr>")[0]


def test_completion_counts_each_state_and_lists_stale_answers(app, logged_in):
    qid = seeded_questionnaire(app)
    fra, _ = logged_in("focal_point", "FRA")
    sen, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    answer_required(fra, qid)  # 14 answers
    act(fra, qid, "submit")
    decide(moderator, response_id(app, "FRA", qid), "accept")
    save(sen, qid, "B", {"B.5.value": "A draft the Secretariat cannot read yet"})
    _age(app, "C.2", 400)  # France's C.2 was last confirmed 400 days ago
    _age(app, "B.5", 400)  # Senegal's draft: not the Secretariat's to list
    page = moderator.get(f"/questionnaires/{qid}/completion")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    france = _row(text, "France")
    assert "Accepted" in france
    assert "14 of 40" in france
    assert "<td>14</td><td>1</td>" in france  # 14 accepted, 1 not confirmed for a year
    assert "Being prepared" in _row(text, "Senegal")
    assert "Not started" in _row(text, "Japan")
    western = text.split('href="#group-WEOG">')[1].split("</tr>")[0]
    # WEOG: France started, accepted, with a stale answer; none waiting.
    assert "<td>1</td><td>0</td><td>1</td><td>1</td>" in western
    stale = text.split('id="stale"')[1]
    assert "C.2" in stale
    assert "B.5" not in stale


def test_only_the_secretariat_sees_completion(app, logged_in):
    qid = seeded_questionnaire(app)
    for role, state in (("focal_point", "FRA"), ("court", None)):
        client, _ = logged_in(role, state)
        assert client.get(f"/questionnaires/{qid}/completion").status_code == 403
