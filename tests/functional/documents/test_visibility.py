"""The visibility matrix, generated: role x audience x Court flag x status x route.

Expected answers come from a plain restatement of PRODUCT.md, not from the query under test.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from coop_platform.documents.models import STATUSES
from coop_platform.documents.services.documents import (
    DocumentInput,
    add_version,
    create_document,
    transition,
)
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from coop_platform.states.models import State
from tests.support import files
from tests.support.builders import person

ROLES = ["owner", "audience_state", "other_state", "court", "moderator", "admin"]
AUDIENCES = ["all_states", "selected_states", "secretariat"]


def expected(role: str, audience: str, court: bool, status: str) -> bool:
    if role == "owner":
        return True
    if role in ("moderator", "admin"):
        return status != "draft"
    if status != "published":
        return False
    if role == "court":
        return court
    if role == "audience_state":
        return audience in ("all_states", "selected_states")
    return audience == "all_states"


def old_version_expected(role: str, audience: str, court: bool, status: str) -> bool:
    """PRODUCT.md: readers get what the Secretariat published; a version uploaded while the
    document was a draft and then replaced before publication was never published, and
    stays with the owner State and the Secretariat."""
    if role in ("owner", "moderator", "admin"):
        return expected(role, audience, court, status)
    return False


# How each status is reached, through the lifecycle the product offers: (who, action).
PATHS = {
    "draft": [],
    "pending": [("owner", "submit")],
    "published": [("owner", "submit"), ("moderator", "publish")],
    "returned": [("owner", "submit"), ("moderator", "return")],
    "rejected": [("owner", "submit"), ("moderator", "reject")],
    "withdrawn": [("owner", "submit"), ("moderator", "publish"), ("owner", "withdraw")],
}


def stored_upload(content: bytes) -> UploadSink:
    sink = UploadSink()
    sink(filename="file.txt")
    sink.write(content)
    return sink


def make_document(app, owner_email: str, audience: str, court: bool, status: str,
                  moderator_email: str = "") -> dict:
    with app.app_context():
        owner = person(owner_email)
        moderator = person(moderator_email) if moderator_email else None
        title = f"doc {audience} {court} {status}"
        document = create_document(owner, DocumentInput(
            title=title, topics=["freezing"], audience=audience,
            states=["SEN"] if audience == "selected_states" else [], share_with_court=court),
            stored_upload(files.txt()))
        version2 = add_version(owner, document, stored_upload(files.txt() + b"v2"),
                               "Second version.")
        for who, action in PATHS[status]:
            transition(owner if who == "owner" else moderator, document, action,
                       "Because." if action in ("return", "reject", "withdraw") else "")
        old = next(v.public_id for v in document.versions if v.number == 1)
        made = {"id": document.public_id, "title": title, "old": old, "current": version2.public_id}
        db.session.remove()
        return made


@pytest.fixture
def clients(logged_in):
    made = {}
    made["owner"] = logged_in("focal_point", "FRA")
    made["audience_state"] = logged_in("focal_point", "SEN")
    made["other_state"] = logged_in("focal_point", "JPN")
    for role in ("court", "moderator", "admin"):
        made[role] = logged_in(role, None)
    return made


def test_visibility_matrix(app, clients):
    owner_email = clients["owner"][1].email
    moderator_email = clients["moderator"][1].email
    cases = [
        (audience, court, status, make_document(app, owner_email, audience, court, status,
                                                moderator_email))
        for audience, court, status in itertools.product(AUDIENCES, (False, True), STATUSES)
    ]
    mismatches = []
    for role in ROLES:
        client = clients[role][0]
        listing = client.get("/documents/?page=1").get_data(as_text=True)
        pages = [listing] + [client.get(f"/documents/?page={p}").get_data(as_text=True)
                             for p in (2, 3)]
        for audience, court, status, doc in cases:
            want = expected(role, audience, court, status)
            base = f"/documents/{doc['id']}"
            routes = {
                "list": any(f">{doc['title']}<" in page for page in pages),
                "detail": client.get(base).status_code,
                "download current": client.get(f"{base}/versions/{doc['current']}/download").status_code,
                "download old": client.get(f"{base}/versions/{doc['old']}/download").status_code,
            }
            for route, answer in routes.items():
                seen = answer if isinstance(answer, bool) else answer == 200
                unexpected_status = not isinstance(answer, bool) and answer not in (200, 404)
                wanted = old_version_expected(role, audience, court, status) \
                    if route == "download old" else want
                if unexpected_status or seen != wanted:
                    mismatches.append((role, audience, court, status, route, answer))
    assert mismatches == []


def test_inactive_owner_state_content_stays_with_the_secretariat(app, clients):
    doc = make_document(app, clients["owner"][1].email, "all_states", True, "published",
                        clients["moderator"][1].email)
    with app.app_context():
        db.session.scalars(select(State).where(State.iso3 == "FRA")).one().active = False
        db.session.commit()
    for role in ("audience_state", "other_state", "court"):
        assert clients[role][0].get(f"/documents/{doc['id']}").status_code == 404
    for role in ("moderator", "admin"):
        assert clients[role][0].get(f"/documents/{doc['id']}").status_code == 200


def test_unknown_and_malformed_ids_are_404(clients):
    client = clients["admin"][0]
    for path in ("/documents/00000000-0000-0000-0000-000000000000", "/documents/1",
                 "/documents/" + "x" * 300):
        assert client.get(path).status_code == 404
