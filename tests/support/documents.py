"""Helpers to upload through the real pages and to make documents in a given state."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from coop_platform.documents.models import Document
from coop_platform.extensions import db
from tests.conftest import csrf_token
from tests.support import files

DOC_URL_RE = re.compile(r"/documents/([0-9a-f-]{36})$")


def form_data(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/documents/new"),
        "title": "Freezing of assets at the request of the Court",
        "summary": "Competent authority, time limits and urgency procedure.",
        "document_type": "procedure",
        "topics": ["freezing", "identification"],
        "language": "en",
        "classification": "restricted",
        "audience": "all_states",
        "file": (io.BytesIO(files.pdf()), "procedure.pdf"),
    }
    data.update(overrides)
    return data


def upload(client, **overrides):
    return client.post("/documents/new", data=form_data(client, **overrides),
                       content_type="multipart/form-data")


def uploaded_id(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)
    return DOC_URL_RE.search(response.headers["Location"]).group(1)


def document_row(app, public_id: str) -> Document:
    with app.app_context():
        doc = db.session.scalars(select(Document).where(Document.public_id == public_id)).one()
        db.session.expunge_all()
        return doc
