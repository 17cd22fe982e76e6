"""Submit, moderate, withdraw, share; step-up for confidential downloads; integrity; keys."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent
from coop_platform.crypto.documents import IntegrityError
from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.extensions import db
from tests.conftest import csrf_token, next_code, post_form
from tests.support import files
from tests.support.documents import upload, uploaded_id

VERSION_RE = re.compile(r"/versions/([0-9a-f-]{36})/download")


def act(client, doc_id, action, reason=""):
    return post_form(client, f"/documents/{doc_id}/{action}",
                     {"reason": reason, "confirmed": "1"}, token_path=f"/documents/{doc_id}")


def status_of(app, doc_id):
    with app.app_context():
        return db.session.scalars(select(Document.status).where(Document.public_id == doc_id)).one()


def actions(app, doc_id):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == doc_id).order_by(AuditEvent.seq))]


def test_submit_publish_withdraw_and_peers_follow(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "JPN")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    assert peer.get(f"/documents/{doc}").status_code == 404
    assert act(moderator, doc, "publish").status_code == 404  # drafts are the owner State's only
    assert status_of(app, doc) == "draft"
    assert act(owner, doc, "submit").status_code == 303
    assert status_of(app, doc) == "pending"
    assert act(owner, doc, "publish").status_code == 403  # owners do not publish
    assert act(moderator, doc, "publish").status_code == 303
    assert status_of(app, doc) == "published"
    page = peer.get(f"/documents/{doc}").get_data(as_text=True)
    download = f"/documents/{doc}/versions/{VERSION_RE.search(page).group(1)}/download"
    assert peer.get(download).data == files.pdf()
    assert doc in peer.get("/documents/").get_data(as_text=True)
    refused = act(owner, doc, "withdraw")  # no reason given
    assert refused.status_code == 400
    assert "Give a reason." in refused.get_data(as_text=True)
    assert status_of(app, doc) == "published"
    assert act(owner, doc, "withdraw", "superseded by the 2026 law").status_code == 303
    assert status_of(app, doc) == "withdrawn"
    assert peer.get(f"/documents/{doc}").status_code == 404
    assert peer.get(download).status_code == 404  # at once, old links included
    assert doc not in peer.get("/documents/").get_data(as_text=True)
    assert {"document.uploaded", "document.submit", "document.publish",
            "document.withdraw"} <= set(actions(app, doc))


def test_returned_document_gets_a_new_version_and_keeps_the_old(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    assert act(moderator, doc, "return", "Please add the urgency procedure.").status_code == 303
    page = owner.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Please add the urgency procedure." in page
    response = owner.post(f"/documents/{doc}/versions/new", content_type="multipart/form-data",
                          data={"csrf_token": csrf_token(owner, f"/documents/{doc}"),
                                "note": "Urgency procedure added.",
                     "file": (io.BytesIO(files.rtf()), "v2.rtf")})
    assert response.status_code == 303
    act(owner, doc, "submit")
    act(moderator, doc, "publish")
    page = moderator.get(f"/documents/{doc}").get_data(as_text=True)
    versions = VERSION_RE.findall(page)
    assert len(versions) == 2
    history = page.split("<h2>History</h2>", 1)[1].split("</ul>", 1)[0]
    for label in ("Uploaded", "Submitted for moderation", "Returned for revision",
                  "New version uploaded", "Published"):
        assert label in history
    bodies = {moderator.get(f"/documents/{doc}/versions/{v}/download").data for v in versions}
    assert bodies == {files.pdf(), files.rtf()}


def test_new_version_refused_while_pending_and_for_other_states(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    other, _ = logged_in("focal_point", "JPN")
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    token = csrf_token(owner, f"/documents/{doc}")
    response = owner.post(f"/documents/{doc}/versions/new", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(files.pdf()), "a.pdf")})
    assert response.status_code == 409
    assert other.get(f"/documents/{doc}/versions/new").status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(DocumentVersion)).all()) == 1


def test_moderator_cannot_moderate_own_state(app, logged_in, make_user):
    owner, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    moderator, _ = logged_in("moderator", "FRA")
    assert act(moderator, doc, "publish").status_code == 403
    assert status_of(app, doc) == "pending"


def test_owner_sees_who_accessed_its_documents_others_do_not(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    peer, peer_user = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    act(owner, doc, "submit")
    act(moderator, doc, "publish")
    version = VERSION_RE.search(peer.get(f"/documents/{doc}").get_data(as_text=True)).group(1)
    assert peer.get(f"/documents/{doc}/versions/{version}/download").data == files.pdf()
    page = owner.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Who accessed it" in page
    assert peer_user.email in page
    assert "Downloaded" in page
    assert "Who accessed it" not in peer.get(f"/documents/{doc}").get_data(as_text=True)


def test_confidential_download_needs_a_fresh_code(app, make_user):
    from tests.conftest import login

    user = make_user(state="FRA")
    with freeze_time("2026-11-23 09:00:00") as frozen:
        client = app.test_client()
        assert login(client, app, user).status_code == 302
        doc = uploaded_id(upload(client, classification="confidential"))
        version = VERSION_RE.search(client.get(f"/documents/{doc}").get_data(as_text=True)).group(1)
        download = f"/documents/{doc}/versions/{version}/download"
        assert client.get(download).status_code == 200  # just signed in: code is fresh
        frozen.tick(timedelta(minutes=11))
        response = client.get(download)
        assert response.status_code == 302
        assert "/step-up" in response.headers["Location"]
        step_up = response.headers["Location"]
        bad = post_form(client, step_up, {"code": "000000"})
        assert bad.status_code == 400
        frozen.tick(timedelta(seconds=30))
        ok = post_form(client, step_up, {"code": next_code(app, user)})
        assert ok.status_code == 303
        assert client.get(download).data == files.pdf()


def test_tampered_blob_is_refused_and_audited(app, logged_in):
    client, _ = logged_in("focal_point", "FRA")
    doc = uploaded_id(upload(client, file=(io.BytesIO(files.txt() * 3000), "big.txt")))
    version = VERSION_RE.search(client.get(f"/documents/{doc}").get_data(as_text=True)).group(1)
    with app.app_context():
        blob = db.session.scalars(select(DocumentVersion.blob_name)).one()
    path = app.config["BLOB_DIR"] / blob[:2] / blob[2:4] / blob
    data = bytearray(path.read_bytes())
    data[-100] ^= 1  # in the last segment: the first ones still verify
    path.write_bytes(bytes(data))
    response = client.get(f"/documents/{doc}/versions/{version}/download")
    with pytest.raises(IntegrityError):  # the stream is cut, as it must be
        response.get_data()
    assert "document.integrity_failure" in actions(app, doc)
    data[60] ^= 1  # now the first segment too: refused before anything is sent
    path.write_bytes(bytes(data))
    response = client.get(f"/documents/{doc}/versions/{version}/download")
    assert response.status_code == 500
    assert "integrity check" in response.get_data(as_text=True)


def test_key_rotation_rewraps_and_downloads_still_work(app, logged_in, runner):
    client, _ = logged_in("focal_point", "FRA")
    docs = [uploaded_id(upload(client, title=f"doc {i}")) for i in range(3)]
    with app.app_context():
        before = {v.public_id: (v.kek_id, v.wrapped_dek)
                  for v in db.session.scalars(select(DocumentVersion))}
        blobs = {v.blob_name: (app.config["BLOB_DIR"] / v.blob_name[:2] / v.blob_name[2:4]
                               / v.blob_name).read_bytes()
                 for v in db.session.scalars(select(DocumentVersion))}
    result = runner.invoke(args=["keys", "rotate", "document"])
    assert result.exit_code == 0, result.output
    assert "rewrapped 3" in result.output
    with app.app_context():
        for v in db.session.scalars(select(DocumentVersion)):
            assert v.kek_id != before[v.public_id][0]
            assert v.wrapped_dek != before[v.public_id][1]
            path = app.config["BLOB_DIR"] / v.blob_name[:2] / v.blob_name[2:4] / v.blob_name
            assert path.read_bytes() == blobs[v.blob_name]  # content not re-encrypted
    status = runner.invoke(args=["keys", "status"])
    old_kek = next(iter(before.values()))[0]
    assert f"{old_kek} wraps 0 document data keys (no data key uses it" in status.output
    for doc in docs:
        version = VERSION_RE.search(client.get(f"/documents/{doc}").get_data(as_text=True)).group(1)
        assert client.get(f"/documents/{doc}/versions/{version}/download").data == files.pdf()


def test_interrupted_rotation_resumes(app, logged_in, runner, monkeypatch):
    from coop_platform.documents.services import keys

    client, _ = logged_in("focal_point", "FRA")
    for i in range(5):
        uploaded_id(upload(client, title=f"doc {i}"))
    ring = app.extensions["spc_keyring"]
    original = ring.encrypt
    calls = {"n": 0}

    def crash_after_two_batches(purpose, plaintext, context):
        calls["n"] += 1
        if calls["n"] > 4:
            raise KeyboardInterrupt("power cut")
        return original(purpose, plaintext, context)

    with app.app_context():
        old = ring.active_id("document")
        new = ring.rotate("document").key_id
        monkeypatch.setattr(ring, "encrypt", crash_after_two_batches)
        with pytest.raises(KeyboardInterrupt):
            keys.rewrap_all(batch_size=2)
        db.session.rollback()
        monkeypatch.setattr(ring, "encrypt", original)
        counts = keys.data_keys_per_kek()
        assert counts == {old: 1, new: 4}  # two batches of two landed before the cut
    result = runner.invoke(args=["keys", "rewrap"])
    assert "rewrapped 1" in result.output
    with app.app_context():
        assert keys.data_keys_per_kek() == {new: 5}


def test_new_version_page_for_other_roles_and_states(app, logged_in):
    owner, _ = logged_in("focal_point", "FRA")
    peer, _ = logged_in("focal_point", "SEN")
    moderator, _ = logged_in("moderator", None)
    doc = uploaded_id(upload(owner))
    assert owner.get(f"/documents/{doc}/versions/new").status_code == 200
    act(owner, doc, "submit")
    assert owner.get(f"/documents/{doc}/versions/new").status_code == 409  # pending: not now
    act(moderator, doc, "publish")
    assert peer.get(f"/documents/{doc}/versions/new").status_code == 403  # visible, not theirs
    assert moderator.get(f"/documents/{doc}/versions/new").status_code == 403


@pytest.mark.parametrize(("query", "status"), [
    ("older_than=999999999999", 400), ("older_than=3651", 400), ("older_than=-5", 400),
    ("older_than=abc", 400), ("state=%00", 400),
    ("older_than=3650", 200), ("older_than=0", 200), ("group=XX", 200),  # unknown group: ignored
])
def test_queue_filters_out_of_range_are_refused(logged_in, query, status):
    moderator, _ = logged_in("moderator", None)
    assert moderator.get(f"/moderation/?{query}").status_code == status


def test_reaching_for_a_document_out_of_reach_is_audited_but_answers_like_a_missing_one(
    app, logged_in
):
    owner, _ = logged_in("focal_point", "FRA")
    prober, prober_user = logged_in("focal_point", "JPN")
    doc = uploaded_id(upload(owner))  # a draft: France's only
    hidden = prober.get(f"/documents/{doc}")
    missing = prober.get("/documents/00000000-0000-0000-0000-000000000000")
    assert hidden.status_code == missing.status_code == 404
    unknown = "00000000-0000-0000-0000-000000000000"
    assert hidden.get_data(as_text=True).replace(doc, unknown) == missing.get_data(as_text=True)
    with app.app_context():
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "document.denied")).all()
        assert [(e.actor_label, e.object_id, e.outcome) for e in denied] == [
            (prober_user.email, doc, "denied")]
    page = owner.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Refused: not shared with this person" in page
    assert prober_user.email in page
