"""Hostile parameters are a 4xx with a message, never a 500, and change nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from coop_platform.documents.models import Document, DocumentVersion
from coop_platform.extensions import db
from tests.conftest import csrf_token, post_form
from tests.support import files
from tests.support.documents import form_data, upload, uploaded_id

HUGE = str(10**20)

# (role, list page) — every paginated list a person can reach (the moderation queue shows
# every pending item on one page; its own filter is tested below).
LISTS = [
    ("focal_point", "/documents/"),
    ("focal_point", "/notifications/"),
    ("moderator", "/audit/"),
    ("admin", "/admin/users"),
]


@pytest.mark.parametrize(("role", "path"), LISTS)
@pytest.mark.parametrize("page", [HUGE, "-1", "0", "abc", "1e3", "9" * 5000])
def test_a_page_number_out_of_range_is_a_400(logged_in, role, path, page):
    client, _ = logged_in(role)
    response = client.get(path, query_string={"page": page})
    assert response.status_code == 400
    assert "page number" in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "path"), LISTS)
def test_a_page_number_in_range_is_served(logged_in, role, path):
    client, _ = logged_in(role)
    assert client.get(path, query_string={"page": "2"}).status_code == 200


@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
@pytest.mark.parametrize("query", [{"state": HUGE}, {"state": "-5"}, {"to": "9999-12-31"},
                                   {"from": "0001-01-01"}, {"from": "2026-13-01"},
                                   {"older_than": HUGE}])
def test_audit_filters_out_of_range_are_a_400(logged_in, path, query):
    client, _ = logged_in("moderator")
    response = client.get(path, query_string=query)
    if "older_than" in query:  # not an audit filter: ignored
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "Check the filters" in response.get_data(as_text=True)


def test_the_moderation_queue_clamps_its_age_filter(logged_in):
    client, _ = logged_in("moderator")
    assert client.get("/moderation/", query_string={"older_than": HUGE}).status_code == 400
    assert client.get("/moderation/", query_string={"older_than": "30"}).status_code == 200


def test_a_document_address_with_anything_after_the_id_is_a_404(app, logged_in):
    client, _ = logged_in()
    public_id = uploaded_id(upload(client))
    assert client.get(f"/documents/{public_id}").status_code == 200
    for suffix in ("anything", "0", "%00", ".pdf"):
        assert client.get(f"/documents/{public_id}{suffix}").status_code == 404, suffix
    page = client.get(f"/documents/{public_id}").get_data(as_text=True)
    version_id = page.split("/versions/")[1].split("/")[0]
    assert client.get(f"/documents/{public_id}/versions/{version_id}x/download"
                      ).status_code == 404


def counts(app):
    with app.app_context():
        result = (db.session.scalar(select(func.count(Document.id))),
                  db.session.scalar(select(func.count(DocumentVersion.id))))
        db.session.remove()
        return result


def test_a_nul_character_in_a_multipart_field_is_a_400(app, logged_in):
    client, _ = logged_in()
    response = upload(client, title="Freezing\x00orders")
    assert response.status_code == 400
    assert counts(app) == (0, 0)


def test_a_nul_character_in_a_multipart_body_elsewhere_is_a_400(app, logged_in):
    client, _ = logged_in()
    token = csrf_token(client, "/auth/account")
    response = client.post("/auth/account/recovery-codes",
                           data={"csrf_token": token, "recovery-code": "12\x0034"},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_file_under_another_field_name_is_refused(app, logged_in):
    client, _ = logged_in()
    data = form_data(client)
    data["attachment"] = data.pop("file")
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "file field" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_a_second_file_part_is_refused(app, logged_in):
    client, _ = logged_in()
    data = form_data(client)
    data["file"] = [(io.BytesIO(files.pdf()), "a.pdf"), (io.BytesIO(files.pdf()), "b.pdf")]
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert counts(app) == (0, 0)


@pytest.mark.parametrize("field", ["title", "classification", "document_type", "language",
                                   "audience"])
def test_a_single_valued_field_sent_twice_is_refused(app, logged_in, field):
    client, _ = logged_in()
    data = form_data(client)
    first = data[field]
    data[field] = [first, "confidential" if field == "classification" else first]
    response = client.post("/documents/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "sent more than once" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_a_duplicated_field_in_an_urlencoded_form_is_refused(app, make_user):
    user = make_user()
    client = app.test_client()
    response = post_form(client, "/auth/login", {"email": [user.email, "other@example.org"],
                                                 "password": user.password})
    assert response.status_code == 400
    assert "sent more than once" in response.get_data(as_text=True)


def test_a_notification_number_out_of_range_is_a_404(logged_in):
    client, _ = logged_in()
    for number in (HUGE, "2147483648", "0"):
        assert client.get(f"/notifications/{number}").status_code == 404, number
