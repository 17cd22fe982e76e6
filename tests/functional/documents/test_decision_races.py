"""Two decisions on one document at the same moment: exactly one is taken, the other is told
the document moved on (409). The status or request is read and written under one row lock."""

from __future__ import annotations

from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.extensions import db
from tests.conftest import csrf_token, post_form
from tests.functional.auth.test_codes import race
from tests.support.documents import upload, uploaded_id


def prepared_post(client, doc, path, data):
    token = csrf_token(client, f"/documents/{doc}")
    return lambda: client.post(path, data={"csrf_token": token, **data})


def decisions(app, *actions) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(AuditEvent.id))
                              .where(AuditEvent.action.in_(actions)))
        db.session.remove()
        return n


def test_two_moderators_deciding_at_once_take_one_decision(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    first, _ = logged_in("moderator", None)
    second, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    results = race([
        prepared_post(first, doc, f"/documents/{doc}/publish", {}),
        prepared_post(second, doc, f"/documents/{doc}/reject",
                      {"reason": "Out of scope.", "confirmed": "1"}),
    ])
    assert sorted(r.status_code for r in results) == [303, 409]
    assert decisions(app, "document.publish", "document.reject") == 1


def test_accepting_and_refusing_one_sharing_request_at_once_takes_one(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    first, _ = logged_in("moderator", None)
    second, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner, audience="secretariat"))
    post_form(owner, f"/documents/{doc}/submit", {}, token_path=f"/documents/{doc}")
    post_form(first, f"/documents/{doc}/publish", {}, token_path=f"/documents/{doc}")
    post_form(owner, f"/documents/{doc}/sharing", {"audience": "all_states"},
              token_path=f"/documents/{doc}")
    results = race([
        prepared_post(first, doc, f"/documents/{doc}/sharing/accept", {}),
        prepared_post(second, doc, f"/documents/{doc}/sharing/refuse", {"reason": "No."}),
    ])
    assert sorted(r.status_code for r in results) == [303, 409]
    assert decisions(app, "document.sharing_accepted", "document.sharing_refused") == 1
