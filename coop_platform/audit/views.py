"""The audit trail, browsed and filtered by the Secretariat."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request

from coop_platform.audit.services import AuditFilter, known_actions, search_events
from coop_platform.core.authz import roles_required
from coop_platform.core.clock import as_utc
from coop_platform.states.services import list_states

bp = Blueprint("audit", __name__)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@roles_required("admin", "moderator")
def events():
    args = request.args
    start, end = _date(args.get("from")), _date(args.get("to"))
    state_id = args.get("state", type=int)
    flt = AuditFilter(
        actor=args.get("actor", "")[:254],
        action=args.get("action", "")[:64],
        outcome=args.get("outcome", "") if args.get("outcome") in ("success", "failure", "denied")
        else "",
        state_id=state_id,
        date_from=as_utc(datetime.combine(start, time.min)) if start else None,
        date_to=as_utc(datetime.combine(end, time.min)) + timedelta(days=1) if end else None,
    )
    pagination = search_events(flt, page=args.get("page", 1, type=int) or 1)
    return render_template("audit/events.html", pagination=pagination, args=args,
                           actions=known_actions(), states=list_states(),
                           bad_dates=(args.get("from") and not start) or (args.get("to") and not end))
