"""Versions: an open questionnaire's questions are fixed; a change is a new version whose
answers start from the previous version's, by question key, while the old answers stay."""

from __future__ import annotations

import re

from sqlalchemy import select

from coop_platform.extensions import db
from coop_platform.questionnaires.models import Questionnaire
from tests.support.questionnaires import save, seeded_questionnaire


def _ids(app) -> dict[int, tuple[str, str]]:
    with app.app_context():
        rows = {q.version: (q.public_id, q.status)
                for q in db.session.scalars(select(Questionnaire))}
        db.session.remove()
    return rows


def test_a_new_version_carries_answers_forward_and_leaves_the_old_ones(app, logged_in, runner):
    qid = seeded_questionnaire(app)
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    assert save(owner, qid, "B", {"B.5.value": "Wording of version one"}).status_code == 303
    result = runner.invoke(args=["questionnaires", "clone", qid])
    assert result.exit_code == 0, result.output
    new_id = re.search(r"id ([0-9a-f-]{36})", result.output).group(1)
    assert _ids(app)[2] == (new_id, "draft")
    # A draft version is nobody's to read or answer yet.
    assert owner.get(f"/questionnaires/{new_id}/response").status_code == 404
    assert peer.get(f"/questionnaires/{new_id}/").status_code == 404
    assert runner.invoke(args=["questionnaires", "open", new_id]).exit_code == 0
    assert _ids(app)[1] == (qid, "closed")
    # The answer came along, as a first revision of the new version ...
    page = owner.get(f"/questionnaires/{new_id}/response/B").get_data(as_text=True)
    assert "Wording of version one" in page
    assert save(owner, qid, "B", {"B.5.value": "too late"}).status_code == 409
    assert save(owner, new_id, "B", {"B.5.value": "Wording of version two"}).status_code == 303
    # ... and the old version keeps its own.
    old = owner.get(f"/questionnaires/{qid}/states/FRA").get_data(as_text=True)
    new = owner.get(f"/questionnaires/{new_id}/states/FRA").get_data(as_text=True)
    assert "Wording of version one" in old
    assert "Wording of version two" not in old
    assert "Wording of version two" in new


def test_status_changes_follow_draft_open_closed(app, runner):
    qid = seeded_questionnaire(app)
    assert runner.invoke(args=["questionnaires", "open", qid]).exit_code != 0  # already open
    assert runner.invoke(args=["questionnaires", "close", qid]).exit_code == 0
    assert runner.invoke(args=["questionnaires", "open", qid]).exit_code != 0  # closed stays
    assert runner.invoke(args=["questionnaires", "close", "nope"]).exit_code != 0
