"""Every refusal is a refusal, and audited: 404 for what one may not see, 403 for what one may
see but not do, 400 for bad input, 409 for what the document's status does not allow now."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.documents.storage import LocalBlobStore
from coop_platform.extensions import db
from tests.conftest import csrf_token, post_form
from tests.support import files
from tests.support.documents import upload, uploaded_id


def act(client, doc_id, action, reason="because"):
    return post_form(client, f"/documents/{doc_id}/{action}", {"reason": reason, "confirmed": "1"},
                     token_path=f"/documents/{doc_id}")


def row(app, doc_id):
    with app.app_context():
        doc = db.session.scalars(select(Document).where(Document.public_id == doc_id)).one()
        result = (doc.status, doc.audience, doc.shared_with_court, sorted(doc.audience_state_ids),
                  db.session.scalar(select(func.count(DocumentVersion.id))))
        db.session.remove()
        return result


def refusals(app, doc_id) -> list[int]:
    """The statuses of the refusals recorded against this document, oldest first."""
    import json

    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "request.denied", AuditEvent.object_id == doc_id)
            .order_by(AuditEvent.seq)).all()
        result = [json.loads(e.details)["status"] for e in events]
        db.session.remove()
        return result


@pytest.fixture
def published(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner, share_with_court="y"))
    assert act(owner, doc, "submit").status_code == 303
    assert act(moderator, doc, "publish").status_code == 303
    return doc


def test_another_state_cannot_post_a_version_and_its_file_is_never_read(app, logged_in,
                                                                       published, monkeypatch):
    peer, _ = logged_in("focal_point", "SEN")
    assert peer.get(f"/documents/{published}").status_code == 200  # it may see it
    before = row(app, published)
    created = []
    original = LocalBlobStore.create
    monkeypatch.setattr(LocalBlobStore, "create",
                        lambda self: created.append(1) or original(self))
    response = peer.post(f"/documents/{published}/versions/new",
                         content_type="multipart/form-data",
                         data={"csrf_token": csrf_token(peer, f"/documents/{published}"),
                               "file": (io.BytesIO(files.pdf()), "mine.pdf")})
    assert response.status_code == 403
    assert created == []  # refused before the body was read: nothing streamed or encrypted
    assert row(app, published) == before
    assert refusals(app, published) == [403]


@pytest.mark.parametrize("role", ["focal_point", "court"])
@pytest.mark.parametrize("action", ["submit", "publish", "return", "reject", "withdraw"])
def test_another_state_or_the_court_cannot_decide(app, logged_in, published, role, action):
    client, _ = logged_in(role, "SEN" if role == "focal_point" else None)
    assert client.get(f"/documents/{published}").status_code == 200
    before = row(app, published)
    assert act(client, published, action).status_code == 403
    assert row(app, published) == before
    assert refusals(app, published) == [403]


def test_an_action_the_status_does_not_allow_is_a_409_and_audited(app, logged_in, published):
    owner, _ = logged_in("focal_point", "FRA")
    before = row(app, published)
    response = act(owner, published, "submit")
    assert response.status_code == 409
    assert "cannot be done while the document is" in response.get_data(as_text=True)
    assert row(app, published) == before
    assert refusals(app, published) == [409]


def test_an_unknown_action_is_a_404(app, logged_in, published):
    owner, _ = logged_in("focal_point", "FRA")
    assert act(owner, published, "destroy").status_code == 404


@pytest.mark.parametrize("data", [
    {"audience": "everyone"},
    {"audience": "selected_states", "states": ["XXX"]},
    {"audience": ["all_states", "secretariat"]},
])
def test_a_bad_sharing_form_is_a_400_on_the_page_and_audited(app, logged_in, data):
    owner, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(owner, audience="secretariat"))
    before = row(app, doc)
    response = post_form(owner, f"/documents/{doc}/sharing", data,
                         token_path=f"/documents/{doc}")
    assert response.status_code == 400
    assert "<h1>" in response.get_data(as_text=True)  # the document page, not a bare error
    assert row(app, doc) == before
    assert refusals(app, doc) == [400]


def test_a_reason_too_long_is_a_400_and_nothing_changes(app, logged_in, published):
    moderator, _ = logged_in("moderator", None)
    before = row(app, published)
    assert act(moderator, published, "withdraw", "x" * 2001).status_code == 400
    assert row(app, published) == before
    assert refusals(app, published) == [400]
