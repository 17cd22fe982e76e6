"""What the questionnaire pages share: their blueprints, the signed-in person, the lookups that
answer 404, and the checks of the reading pages' filters (the exports take the same)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    request,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop_platform.core.errors import audit_refusal, render_error
from coop_platform.core.exceptions import DomainError, NotFound, ValidationFailed
from coop_platform.questionnaires.models import (
    Questionnaire,
)
from coop_platform.questionnaires.services import (
    authoring,
    reading,
)
from coop_platform.questionnaires.services.reading import is_stale
from coop_platform.questionnaires.values import display
from coop_platform.states.models import REGIONAL_GROUPS

bp = Blueprint("questionnaires", __name__)
directory_bp = Blueprint("directory", __name__)


def user():
    return current_user._get_current_object()


@bp.app_context_processor
def _helpers():
    return {"display": display, "is_stale": is_stale}


def questionnaire_or_404(public_id: str) -> Questionnaire:
    try:
        return authoring.get_questionnaire(public_id)
    except NotFound:
        abort(404)


def refused(error: DomainError, response=None):
    audit_refusal(error.status_code, str(error.message), object_type="response",
                  object_id=response.public_id if response is not None else "",
                  state_id=response.state_id if response is not None else None)
    return render_error(error.status_code, error.message)


def readable_state_or_404(iso3: str):
    try:
        return reading.readable_state(user(), iso3)
    except NotFound:
        abort(404)


def group_arg() -> str:
    group = request.args.get("group", "")
    if group and group not in REGIONAL_GROUPS:
        raise ValidationFailed(_l("Choose a regional group from the list."))
    return group


def comparison_filter(questionnaire: Questionnaire, key: str) -> reading.ComparisonFilter:
    try:
        question = reading.question_by_key(questionnaire, key)
    except NotFound:
        abort(404)
    group, value = group_arg(), request.args.get("value", "")
    if value not in {code for code, _ in question.options} | {"none", "stale", ""}:
        raise ValidationFailed(_l("Choose an answer from the list."))
    return reading.ComparisonFilter(group=group, value=value)


def grid_keys(questionnaire: Questionnaire) -> list[str]:
    keys = list(dict.fromkeys(k for k in request.args.getlist("q") if k))
    if len(keys) > reading.MAX_GRID_QUESTIONS:
        raise ValidationFailed(_l("Choose at most %(n)d questions.",
                                  n=reading.MAX_GRID_QUESTIONS))
    known = {q.key for q in questionnaire.questions}
    if any(k not in known for k in keys):
        raise ValidationFailed(_l("Choose questions from the list."))
    return keys


def without_empty(**args) -> dict:
    """A page's parameters for its export links (an empty filter is left out)."""
    return {k: v for k, v in args.items() if v}
