"""The reading pages as files: CSV or XLSX, long or wide, of a comparison, a grid, a response
or the whole questionnaire."""

from __future__ import annotations

import io

from flask import (
    request,
    send_file,
)
from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import ValidationFailed
from coop_platform.questionnaires.services import (
    export,
)
from coop_platform.questionnaires.views.common import (
    bp,
    comparison_filter,
    grid_keys,
    group_arg,
    questionnaire_or_404,
    readable_state_or_404,
    user,
)

EXPORT = "<any(csv, xlsx):fmt>"


def _file_args(fmt: str) -> tuple[str, str]:
    """The layout and the CSV part, checked before any answer is read."""
    layout = request.args.get("layout", "long")
    part = request.args.get("part", "answers")
    if layout not in export.LAYOUTS:
        raise ValidationFailed(_l("Choose the long or the wide layout."))
    if part not in export.CSV_PARTS or (fmt == "xlsx" and part != "answers"):
        raise ValidationFailed(_l("Choose the answers, the codebook or the metadata (CSV "
                                  "only: the XLSX file holds all three)."))
    return layout, part


def _every_state_arg() -> bool:
    """Whether a file keeps the States without a visible answer (left out by default)."""
    states = request.args.get("states", "answered")
    if states not in ("answered", "all"):
        raise ValidationFailed(_l("Choose whether the file holds every State or only those "
                                  "that answered."))
    return states == "all"


def _send(fmt: str, build):
    """The file of `build()`'s extract, once the layout and part are known to be valid."""
    layout, part = _file_args(fmt)
    file = export.render(user(), build(), fmt, layout, part)
    return send_file(io.BytesIO(file.content), mimetype=file.mimetype, as_attachment=True,
                     download_name=file.name)


@bp.get(f"/<pid:public_id>/export.{EXPORT}")
def export_questionnaire(public_id: str, fmt: str):
    questionnaire = questionnaire_or_404(public_id)
    group = group_arg()
    every = _every_state_arg()
    return _send(fmt, lambda: export.of_questionnaire(user(), questionnaire, group, every))


@bp.get(f"/<pid:public_id>/states/<string(length=3):iso3>/export.{EXPORT}")
def export_response(public_id: str, iso3: str, fmt: str):
    questionnaire = questionnaire_or_404(public_id)
    state = readable_state_or_404(iso3)
    return _send(fmt, lambda: export.of_response(user(), questionnaire, state))


@bp.get(f"/<pid:public_id>/compare/<string(maxlength=12):key>/export.{EXPORT}")
def export_comparison(public_id: str, key: str, fmt: str):
    questionnaire = questionnaire_or_404(public_id)
    flt, every = comparison_filter(questionnaire, key), _every_state_arg()
    return _send(fmt, lambda: export.of_comparison(user(), questionnaire, key, flt, every))


@bp.get(f"/<pid:public_id>/grid/export.{EXPORT}")
def export_grid(public_id: str, fmt: str):
    questionnaire = questionnaire_or_404(public_id)
    keys = grid_keys(questionnaire)
    if not keys:
        raise ValidationFailed(_l("Choose the questions to export."))
    group, every = group_arg(), _every_state_arg()
    return _send(fmt, lambda: export.of_grid(user(), questionnaire, keys, group, every))
