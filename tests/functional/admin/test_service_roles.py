"""Defence in depth: the services refuse a wrong role themselves, whatever the view did."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from coop_platform.audit.models import AuditEvent
from coop_platform.auth.models import Invitation, User
from coop_platform.core.exceptions import Forbidden
from coop_platform.documents.services import documents as docs
from coop_platform.documents.services import queries
from coop_platform.extensions import db
from coop_platform.states import services as states
from coop_platform.states.models import State
from tests.support.documents import upload, uploaded_id

NOT_ADMIN = ["focal_point", "court", "moderator"]


def snapshot():
    fra = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
    return (fra.name, fra.active, fra.note, db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Invitation.id))),
            db.session.scalar(select(func.count(AuditEvent.id))))


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_only_an_administrator_invites_or_edits_states(app, make_user, role, ctx):
    from coop_platform.auth.services import invitations

    actor = db.session.get(User, make_user(role=role).id)
    before = snapshot()
    fra = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
    with pytest.raises(Forbidden):
        invitations.invite("someone@example.org", "admin", None, actor)
    with pytest.raises(Forbidden):
        states.update_state(fra, actor, name="Renamed", regional_group=fra.regional_group,
                            status=fra.status, note="x")
    with pytest.raises(Forbidden):
        states.set_active(fra, False, actor)
    db.session.rollback()
    assert snapshot() == before


def test_an_administrator_and_the_command_line_may(app, make_user, ctx):
    from coop_platform.auth.services import invitations

    admin = db.session.get(User, make_user(role="admin").id)
    invitations.invite("someone@example.org", "focal_point", "SEN", admin)
    invitations.invite("other@example.org", "court", None, None)
    fra = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
    states.set_active(fra, False, admin)
    states.set_active(fra, True, None)
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-4:] == ["invitation.created", "invitation.created", "state.deactivated",
                            "state.activated"]


def test_the_access_log_is_limited_in_the_database(app, logged_in):
    client, _ = logged_in("focal_point", "FRA")
    public_id = uploaded_id(upload(client))
    for _ in range(5):
        client.get(f"/documents/{public_id}")
    statements = []

    def listener(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    with app.app_context():
        owner = db.session.scalars(select(User).where(User.role == "focal_point")).first()
        document = docs.get_document(owner, public_id)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            log = queries.access_log_page(owner, document, 1, hide_owner_state=False,
                                          per_page=3).items
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert [e.action for e in log] == ["document.viewed"] * 3
        db.session.remove()
    assert any("LIMIT" in s.upper() for s in statements if "audit_events" in s)
