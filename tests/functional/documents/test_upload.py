"""Uploads through the pages: encrypted at rest, refused cleanly, nothing half-stored."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.extensions import db
from tests.conftest import csrf_token
from tests.support import files
from tests.support.documents import form_data, upload, uploaded_id


def blob_files(app):
    root = app.config["BLOB_DIR"]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def committed_blobs(app):
    root = app.config["BLOB_DIR"]
    return [p for p in blob_files(app) if p.relative_to(root).parts[0] != "tmp"]


def counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Document.id))),
                db.session.scalar(select(func.count(DocumentVersion.id))))


@pytest.mark.parametrize("kind", sorted(files.ACCEPTED))
def test_each_accepted_type_is_stored_encrypted_and_downloads_intact(app, logged_in, kind):
    client, _ = logged_in()
    content = files.ACCEPTED[kind]()
    response = upload(client, file=(io.BytesIO(content), f"piece.{kind}"))
    public_id = uploaded_id(response)
    stored = [p.read_bytes() for p in committed_blobs(app)]
    assert len(stored) == 1
    assert content not in stored[0]
    assert stored[0].startswith(b"SPCDOC")
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    link = page.split('href="/documents/' + public_id + "/versions/")[1].split('"')[0]
    download = client.get(f"/documents/{public_id}/versions/{link}")
    assert download.status_code == 200
    assert download.data == content
    assert download.headers["Content-Length"] == str(len(content))
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00" + os.urandom(2000), "report.pdf", "not accepted"),
        (b"<html><script>alert(1)</script></html>", "notes.txt", "not accepted"),
        (b"", "empty.pdf", "empty"),
        (files.docx(macro=True), "macro.docx", "macros"),
    ],
)
def test_refused_files_leave_nothing_stored(app, logged_in, content, name, message):
    client, _ = logged_in()
    response = upload(client, file=(io.BytesIO(content), name))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


def test_too_large_is_413_while_streaming_and_nothing_stored(app, logged_in):
    client, _ = logged_in()
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 200_000
    try:
        big = files.txt() * (250_000 // len(files.txt()) + 1)
        response = upload(client, file=(io.BytesIO(big), "big.txt"))
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("../../x", "x.pdf"),  # never a path; the extension is the content's
    ("a" * 500 + ".pdf", "a" * 196 + ".pdf"),  # cut to 200 characters, extension kept
    ("..", "document.pdf"),
    ("", "document.pdf"),
    ("notes.html", "notes.pdf"),
    ("evil\x00\r\nname.pdf", None),  # breaks the multipart header: no file part at all
])
def test_hostile_filenames_are_only_display_names(app, logged_in, name, expected):
    client, _ = logged_in()
    response = upload(client, file=(io.BytesIO(files.pdf()), name))
    if expected is None:
        assert response.status_code == 400
        assert "Choose a file" in response.get_data(as_text=True)
        assert counts(app) == (0, 0)
        return
    public_id = uploaded_id(response)
    with app.app_context():
        version = db.session.scalars(select(DocumentVersion)).one()
        assert version.blob_name.isalnum()
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    vid = page.split('/versions/')[1].split('/')[0]
    disposition = client.get(f"/documents/{public_id}/versions/{vid}/download").headers[
        "Content-Disposition"]
    assert disposition == (f'attachment; filename="{expected}"; '
                           f"filename*=UTF-8''{expected}")


@pytest.mark.parametrize("label", sorted(files.HOSTILE_TEXT))
def test_text_a_browser_could_take_for_markup_is_refused(app, logged_in, label):
    client, _ = logged_in()
    response = upload(client, file=(io.BytesIO(files.HOSTILE_TEXT[label]), "notes.txt"))
    assert response.status_code == 400
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


@pytest.mark.parametrize("label", sorted(files.HOSTILE_PACKAGES))
def test_packages_with_macros_objects_or_outside_links_are_refused(app, logged_in, label):
    client, _ = logged_in()
    response = upload(client, file=(io.BytesIO(files.HOSTILE_PACKAGES[label]), "report.docx"))
    assert response.status_code == 400
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


@pytest.mark.parametrize("name", sorted(files.TEXT_SCRIPTS) + ["page.html", "image.svg"])
def test_plain_text_downloads_as_txt_with_one_charset(app, logged_in, name):
    client, _ = logged_in()
    content = files.TEXT_SCRIPTS.get(name, b"Plain minutes, no markup at all.\n")
    public_id = uploaded_id(upload(client, file=(io.BytesIO(content), name)))
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    vid = page.split('/versions/')[1].split('/')[0]
    download = client.get(f"/documents/{public_id}/versions/{vid}/download")
    assert download.data == content
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    stem = name.rsplit(".", 1)[0]
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="{stem}.txt"; filename*=UTF-8\'\'{stem}.txt')


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "required"),
        ({"topics": []}, "at least one topic"),
        ({"audience": "selected_states", "states": []}, "at least one State"),
        ({"document_type": "poem"}, "Not a valid choice"),
    ],
)
def test_bad_metadata_is_400_and_nothing_stored(app, logged_in, overrides, message):
    client, _ = logged_in()
    response = upload(client, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


def test_upload_without_csrf_is_refused_and_nothing_stored(app, logged_in):
    client, _ = logged_in()
    data = form_data(client)
    data.pop("csrf_token")
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts(app) == (0, 0)
    assert blob_files(app) == []


def test_a_court_account_without_its_organ_does_not_upload(logged_in):
    """PRODUCT.md: the Court proposes guidance as one of its organs, which an administrator
    sets on the account; until then there is no owner to upload for."""
    client, _ = logged_in(role="court")
    refused = client.get("/documents/new")
    assert refused.status_code == 403
    assert "which organ of the Court" in refused.get_data(as_text=True)
    token = csrf_token(client, "/documents/")
    response = client.post("/documents/new", data={"csrf_token": token,
                                                   "file": (io.BytesIO(files.pdf()), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 403


def test_other_forms_never_accept_files(app, logged_in):
    client, _ = logged_in()
    token = csrf_token(client, "/auth/account")
    response = client.post("/auth/account/password",
                           data={"csrf_token": token, "file": (io.BytesIO(b"x" * 10), "a.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    # Refused as a request, not merely re-shown as an incomplete password form.
    body = response.get_data(as_text=True)
    assert "The request could not be understood" in body
    assert 'name="current_password"' not in body
    assert blob_files(app) == []


def test_failure_after_half_the_stream_leaves_nothing_after_cleanup(app, logged_in, runner,
                                                                   monkeypatch):
    from coop_platform.documents.services import uploads

    client, _ = logged_in()
    # About 350 kB: several segments, yet small enough for the test client to keep in memory.
    content = files.txt() * 5_000
    original = uploads.UploadSink.write
    state = {"written": 0}

    def failing_write(self, data):
        state["written"] += len(data)
        if state["written"] > len(content) // 2:
            raise OSError("disk unplugged")
        return original(self, data)

    monkeypatch.setattr(uploads.UploadSink, "write", failing_write)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = upload(client, file=(io.BytesIO(content), "half.txt"))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    assert counts(app) == (0, 0)
    result = runner.invoke(args=["documents", "cleanup", "--older-than-minutes", "0"])
    assert result.exit_code == 0
    assert blob_files(app) == []


def test_cleanup_removes_a_blob_whose_row_never_landed(app, runner, logged_in):
    client, _ = logged_in()
    uploaded_id(upload(client))
    orphan_dir = app.config["BLOB_DIR"] / "ab" / "cd"
    orphan_dir.mkdir(parents=True, exist_ok=True)
    orphan = orphan_dir / ("abcd" + "0" * 28)
    orphan.write_bytes(b"SPCDOC left by a crash")
    result = runner.invoke(args=["documents", "cleanup", "--older-than-minutes", "0"])
    assert "removed 1 orphan" in result.output
    assert not orphan.exists()
    assert len(committed_blobs(app)) == 1


def test_a_long_upload_keeps_the_session_alive(app, make_user, monkeypatch):
    from freezegun import freeze_time

    from coop_platform.documents.services import uploads
    from tests.conftest import login

    user = make_user()
    with freeze_time("2026-11-23 08:00:00") as frozen:
        client = app.test_client()
        login(client, app, user)
        original = uploads.UploadSink.write

        def slow_write(self, data):
            frozen.tick(40 * 60)  # a slow line: the upload lasts beyond the 30-minute idle limit
            return original(self, data)

        monkeypatch.setattr(uploads.UploadSink, "write", slow_write)
        frozen.tick(5 * 60)
        response = upload(client, file=(io.BytesIO(files.txt() * 100), "slow.txt"))
        assert response.status_code == 303
        assert client.get(response.headers["Location"]).status_code == 200


def test_a_submit_without_a_file_asks_for_one(app, logged_in):
    client, _ = logged_in()
    response = upload(client, file=(io.BytesIO(b""), ""))  # what a browser sends: no file
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a file to upload." in text
    assert "The file is empty" not in text
    assert counts(app) == (0, 0)


def test_after_a_refused_form_the_page_says_to_choose_the_file_again(app, logged_in):
    client, _ = logged_in()
    response = upload(client, title="")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "choose it again before sending" in text
    assert blob_files(app) == []


def test_the_document_type_has_no_default(app, logged_in):
    client, _ = logged_in()
    page = client.get("/documents/new").get_data(as_text=True)
    select = page.split('id="document_type"')[1].split("</select>")[0]
    assert select.split("<option", 2)[1].startswith(' value="">')  # "— choose —" first
    assert "selected" not in select  # so the browser shows it: nothing is chosen for you
    response = upload(client, document_type="")
    assert response.status_code == 400
    assert "Choose the type of document." in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_a_new_version_says_what_changed(app, logged_in):
    client, _ = logged_in()
    doc = uploaded_id(upload(client))
    token = csrf_token(client, f"/documents/{doc}")
    missing = client.post(f"/documents/{doc}/versions/new", content_type="multipart/form-data",
                          data={"csrf_token": token, "note": "",
                                "file": (io.BytesIO(files.pdf()), "v2.pdf")})
    assert missing.status_code == 400
    assert "Say in a few words what changed." in missing.get_data(as_text=True)
    assert counts(app) == (1, 1)
    done = client.post(f"/documents/{doc}/versions/new", content_type="multipart/form-data",
                       data={"csrf_token": token, "note": "Article 12 amended.",
                             "file": (io.BytesIO(files.pdf()), "v2.pdf")})
    assert done.status_code == 303
    assert "Article 12 amended." in client.get(f"/documents/{doc}").get_data(as_text=True)
