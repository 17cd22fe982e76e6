"""Every role against every protected page: allowed, 403, or back to the login page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.auth.services.common import find_user_by_email
from coop_platform.extensions import db
from coop_platform.states.models import State

ROLES = ["focal_point", "court", "moderator", "admin"]
# path -> roles allowed
PAGES = {
    "/": set(ROLES),
    "/auth/account": set(ROLES),
    "/auth/account/password": set(ROLES),
    "/admin/users": {"admin"},
    "/admin/users/invite": {"admin"},
    "/admin/states": {"admin"},
    "/admin/states/FRA": {"admin"},
    "/audit/": {"admin", "moderator"},
}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(logged_in, role):
    client, _ = logged_in(role=role)
    for path, allowed in PAGES.items():
        status = client.get(path).status_code
        assert status == (200 if role in allowed else 403), (role, path, status)


@pytest.mark.parametrize("path", list(PAGES))
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["focal_point", "court", "moderator"])
def test_non_admin_cannot_post_admin_actions(app, logged_in, make_user, role):
    client, _ = logged_in(role=role)
    target = make_user()
    from tests.conftest import csrf_token

    token = csrf_token(client, "/")
    for path, data in ((f"/admin/users/{target.public_id}/disable", {}),
                       ("/admin/states/FRA/deactivate", {}),
                       ("/admin/users/invite", {"email": "new@example.org", "role": "admin"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403
    with app.app_context():
        assert db.session.get(User, target.id).status == "active"
        assert db.session.scalars(select(State).where(State.iso3 == "FRA")).one().active
        assert find_user_by_email("new@example.org") is None
        db.session.remove()


def test_unknown_objects_answer_404(logged_in):
    client, _ = logged_in(role="admin")
    assert client.get("/admin/users/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/admin/states/XXX").status_code == 404
    assert client.get("/no/such/page").status_code == 404
