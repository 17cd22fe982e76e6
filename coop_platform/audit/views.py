"""The audit trail, browsed and filtered by the Secretariat."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from coop_platform.audit import labels
from coop_platform.audit.services import AuditFilter, export_rows, known_actions, search_events
from coop_platform.core import objects
from coop_platform.core.authz import SECRETARIAT_ROLES, roles_required
from coop_platform.core.clock import as_utc
from coop_platform.core.params import bounded_int, iso_date, page_number
from coop_platform.core.spreadsheets import csv_writer
from coop_platform.states.services import state_choices

bp = Blueprint("audit", __name__)


def _filter_from(args) -> AuditFilter:
    """The filters of the page and the export; a value out of range is a 400."""
    start, end = iso_date(args, "from"), iso_date(args, "to")
    return AuditFilter(
        actor=args.get("actor", "")[:254],
        action=args.get("action", "")[:64],
        outcome=args.get("outcome", "") if args.get("outcome") in ("success", "failure", "denied")
        else "",
        state_id=bounded_int(args, "state", 1, 2**31 - 1),
        date_from=as_utc(datetime.combine(start, time.min)) if start else None,
        date_to=as_utc(datetime.combine(end, time.min)) + timedelta(days=1) if end else None,
        object_ref=args.get("object", "")[:100],
    )


@bp.get("/")
@roles_required(*SECRETARIAT_ROLES)
def events():
    flt = _filter_from(request.args)
    reader = current_user._get_current_object()
    pagination = search_events(flt, page=page_number(request.args), actor=reader)
    names = objects.describe(reader, ((e.object_type, e.object_id) for e in pagination.items))
    return render_template("audit/events.html", pagination=pagination, args=request.args,
                           actions=known_actions(), states=state_choices(), names=names,
                           action_label=labels.action_label, outcome_label=labels.outcome_label,
                           detail_fields=labels.detail_fields)


@bp.get("/export.csv")
@roles_required(*SECRETARIAT_ROLES)
def export_csv():
    flt = _filter_from(request.args)
    rows = export_rows(flt, current_user._get_current_object())

    def generate():
        buffer = io.StringIO()
        writer = csv_writer(buffer)
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
