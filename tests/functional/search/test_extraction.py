"""The text of document files: read after commit by a limited child process, found by
search, and never at the cost of the upload — a hostile file ends in a stated failure within
the time limit, the document is still found by its metadata and downloads intact."""

from __future__ import annotations

import io
import re
import time

import docx
import pytest
from odf import text as odf_text
from odf.opendocument import OpenDocumentText
from sqlalchemy import select
from sqlalchemy.orm import undefer
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from coop_platform.extensions import db
from coop_platform.search import extraction
from coop_platform.search.models import DocumentText
from tests.support import files
from tests.support.documents import form_data, upload, uploaded_id

COUNT = re.compile(r'class="result-count"[^>]*>(\d+) results?')


def _found(client, query: str) -> int:
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    return int(COUNT.search(page.get_data(as_text=True)).group(1))


def _upload_large(client, **overrides):
    """The test client would spool a large body to a temporary file it never closes: encode
    it in memory instead."""
    data = form_data(client, **overrides)
    stream, name = data["file"]
    data["file"] = FileStorage(stream=stream, filename=name)
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post("/documents/new", input_stream=stream, content_length=length,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _docx(words: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(f"Article 3. {words}")
    table = document.add_table(rows=1, cols=1)
    table.rows[0].cells[0].text = "cellword"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _odt(words: str) -> bytes:
    document = OpenDocumentText()
    document.text.addElement(odf_text.P(text=f"Article 4. {words}"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


FORMATS = {
    "procedure.pdf": lambda w: files.pdf_with_text([f"Article 1. {w}"]),
    "procedure.docx": _docx,
    "procedure.odt": _odt,
    "procedure.rtf": lambda w: b"{\\rtf1\\ansi Article 2. \\b " + w.encode() + b"\\b0 .}",
    "procedure.txt": lambda w: f"Article 5. {w}\n".encode(),
}


def _status(app, public_id: str) -> DocumentText:
    from coop_platform.documents.models import Document

    with app.app_context():
        row = db.session.scalars(select(DocumentText).join(Document).where(
            Document.public_id == public_id).options(undefer(DocumentText.sealed_text))).one()
        db.session.expunge_all()
        return row


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_is_read_and_found(app, logged_in, search_backend, read_files, name):
    client, _ = logged_in("focal_point", "FRA")
    word = "textword" + name.rsplit(".", 1)[1]
    public_id = uploaded_id(upload(client, title="Plain title", summary="",
                                   file=(io.BytesIO(FORMATS[name](word)), name)))
    assert _found(client, word) == 0
    assert read_files() == 1
    assert _status(app, public_id).status == "done"
    assert _found(client, word) == 1
    page = client.get("/search", query_string={"q": word}).get_data(as_text=True)
    assert f"<mark>{word}</mark>" in page  # the snippet comes from the file's text


def test_a_thousand_page_pdf_is_read_to_its_last_page(app, logged_in, search_backend,
                                                      read_files):
    client, _ = logged_in("focal_point", "FRA")
    pdf = files.pdf_with_text([f"Page {i} of the manual lastpage{i}" for i in range(1, 1001)])
    uploaded_id(_upload_large(client, file=(io.BytesIO(pdf), "manual.pdf")))
    started = time.monotonic()
    assert read_files() == 1
    assert time.monotonic() - started < app.config["SEARCH_EXTRACT_SECONDS"]
    assert _found(client, "lastpage1000") == 1


@pytest.mark.parametrize(("name", "content"), [
    ("bomb.pdf", lambda: files.pdf_bomb(1024)),
    ("loop.pdf", files.pdf_page_loop),
])
def test_a_hostile_pdf_fails_within_the_limit_and_costs_nothing_else(
        app, logged_in, search_backend, read_files, monkeypatch, name, content):
    app.config["SEARCH_EXTRACT_SECONDS"] = 10
    monkeypatch.setattr(extraction, "MEMORY_LIMIT", 512 * 1024 * 1024)
    client, _ = logged_in("focal_point", "FRA")
    data = content()
    public_id = uploaded_id(_upload_large(client, title="Hostile hostiletitle",
                                          file=(io.BytesIO(data), name)))
    started = time.monotonic()
    try:
        assert read_files() == 1
    finally:
        app.config["SEARCH_EXTRACT_SECONDS"] = 30
    assert time.monotonic() - started < 10 + 5
    row = _status(app, public_id)
    assert row.status in ("failed", "done"), row.status
    assert row.chars <= extraction.MAX_TEXT_CHARS
    # Still found by its metadata; the page says why its text is not searched.
    page = client.get("/search", query_string={"q": "hostiletitle"}).get_data(as_text=True)
    assert COUNT.search(page).group(1) == "1"
    if row.status == "failed":
        assert "could not be read for search" in page
    # And the upload itself is whole.
    detail = client.get(f"/documents/{public_id}").get_data(as_text=True)
    link = re.search(r'href="(/documents/[^"]+/download)"', detail).group(1)
    assert client.get(link).get_data() == data


def test_formats_without_text_readers_and_confidential_files_are_never_read(
        app, logged_in, search_backend, read_files, monkeypatch):
    client, _ = logged_in("focal_point", "FRA")
    sheet = uploaded_id(upload(client, title="Sheet", file=(io.BytesIO(files.xlsx()),
                                                            "figures.xlsx")))
    assert read_files() == 1
    assert _status(app, sheet).status == "skipped"

    def never(*_args, **_kw):
        raise AssertionError("a confidential file was decrypted for search")

    monkeypatch.setattr(extraction, "extract_text", never)
    monkeypatch.setattr(extraction, "_read_version", never)
    secret = uploaded_id(upload(client, title="Secret", classification="confidential",
                                file=(io.BytesIO(files.txt()), "secret.txt")))
    assert read_files() == 0
    row = _status(app, secret)
    assert (row.status, row.sealed_text) == ("skipped", None)


def test_a_file_text_is_stored_sealed(app, logged_in, search_backend, read_files):
    client, _ = logged_in("focal_point", "FRA")
    uploaded_id(upload(client, file=(io.BytesIO(b"Sealedword in clear.\n"), "note.txt")))
    read_files()
    with app.app_context():
        row = db.session.scalars(select(DocumentText)).one()
        assert row.status == "done"
        assert "Sealedword" not in row.sealed_text
        db.session.remove()
