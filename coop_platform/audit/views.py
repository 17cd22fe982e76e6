"""The audit trail, browsed and filtered by the Secretariat."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from coop_platform.audit.services import AuditFilter, export_rows, known_actions, search_events
from coop_platform.core.authz import roles_required
from coop_platform.core.clock import as_utc
from coop_platform.states.services import list_states

bp = Blueprint("audit", __name__)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter_from(args) -> tuple[AuditFilter, bool]:
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
        object_ref=args.get("object", "")[:100],
    )
    return flt, bool((args.get("from") and not start) or (args.get("to") and not end))


@bp.get("/")
@roles_required("admin", "moderator")
def events():
    flt, bad_dates = _filter_from(request.args)
    pagination = search_events(flt, page=request.args.get("page", 1, type=int) or 1,
                               actor=current_user._get_current_object())
    return render_template("audit/events.html", pagination=pagination, args=request.args,
                           actions=known_actions(), states=list_states(), bad_dates=bad_dates)


@bp.get("/export.csv")
@roles_required("admin", "moderator")
def export_csv():
    flt, _ = _filter_from(request.args)
    rows = export_rows(flt, current_user._get_current_object())

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
