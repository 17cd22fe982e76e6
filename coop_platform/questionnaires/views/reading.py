"""Reading answers: the list of questionnaires, a questionnaire's overview, a State's response
(and its printable page), the comparison of one question with its charts, the grid of
several, and the Secretariat's completion page."""

from __future__ import annotations

from flask import (
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l

from coop_platform.core.authz import SECRETARIAT_ROLES, Role, roles_required
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import ValidationFailed
from coop_platform.core.forms import ConfirmForm
from coop_platform.questionnaires import charts
from coop_platform.questionnaires.models import (
    RESPONSE_STATUSES,
)
from coop_platform.questionnaires.services import (
    answering,
    authoring,
    completion,
    export,
    following,
    reading,
)
from coop_platform.questionnaires.views.common import (
    bp,
    comparison_filter,
    grid_keys,
    group_arg,
    questionnaire_or_404,
    readable_state_or_404,
    user,
    without_empty,
)
from coop_platform.states.models import REGIONAL_GROUPS


@bp.get("/")
def index():
    questionnaires = authoring.list_questionnaires()
    mine = {}
    if user().role == Role.FOCAL_POINT:
        for q in questionnaires:
            mine[q.id] = answering.my_response(user(), q)
    return render_template("questionnaires/index.html", questionnaires=questionnaires,
                           mine=mine)


@bp.get("/<pid:public_id>/")
def overview(public_id: str):
    questionnaire = questionnaire_or_404(public_id)
    return render_template("questionnaires/overview.html", questionnaire=questionnaire,
                           states=reading.states_for(user()),
                           statuses=reading.response_statuses(user(), questionnaire),
                           labels=RESPONSE_STATUSES)


@bp.get("/<pid:public_id>/states/<string(length=3):iso3>")
def state_response(public_id: str, iso3: str):
    questionnaire = questionnaire_or_404(public_id)
    state = readable_state_or_404(iso3)
    return render_template("questionnaires/state.html", questionnaire=questionnaire,
                           state=state, sections=reading.state_response(user(), questionnaire,
                                                                        state),
                           response=reading.response_status_for(user(), questionnaire, state),
                           following=following.is_following(user(), "state", state.iso3),
                           form=ConfirmForm())


@bp.get("/<pid:public_id>/states/<string(length=3):iso3>/print")
def printable(public_id: str, iso3: str):
    """One State's response on paper: every answer in full, who printed it and when."""
    questionnaire = questionnaire_or_404(public_id)
    state = readable_state_or_404(iso3)
    sections = reading.state_response(user(), questionnaire, state)
    export.record_print(user(), questionnaire, state)
    return render_template("questionnaires/print.html", questionnaire=questionnaire,
                           state=state, sections=sections, printed_at=utcnow(),
                           response=reading.response_status_for(user(), questionnaire, state))


def _show_arg() -> str:
    """Whether the States without an answer are listed (once, collapsed) or left out."""
    show = request.args.get("show", "all")
    if show not in ("all", "answered"):
        raise ValidationFailed(_l("Choose whether to show every State or only those that "
                                  "answered."))
    return show


def _charts(comparison: reading.Comparison, group: str) -> list[tuple[str, str]]:
    """[(description, image)] of a closed question's counts: all the groups shown, then
    group by group; none while no State's answer can be counted."""
    question = comparison.question
    if not question.is_closed or not any(
            n for code, n in comparison.counts.items() if code != "none"):
        return []
    options = question.options
    title = (_l("Answers to %(key)s in %(group)s", key=question.key,
                group=REGIONAL_GROUPS[group][1]) if group
             else _l("Answers to %(key)s, every regional group", key=question.key))
    drawn = [(str(title), charts.counts(str(title), [(label, comparison.counts[code])
                                                     for code, label in options]))]
    if not group:
        title = _l("Answers to %(key)s by regional group", key=question.key)
        drawn.append((str(title), charts.by_group(
            str(title), [str(label) for _en, label in REGIONAL_GROUPS.values()],
            [(label, [comparison.by_group[g][code] for g in REGIONAL_GROUPS])
             for code, label in options])))
    return drawn


@bp.get("/<pid:public_id>/compare/<string(maxlength=12):key>")
def compare(public_id: str, key: str):
    questionnaire = questionnaire_or_404(public_id)
    flt, show = comparison_filter(questionnaire, key), _show_arg()  # checked before reading
    comparison = reading.compare(user(), questionnaire, key, flt)
    return render_template("questionnaires/compare.html", questionnaire=questionnaire,
                           comparison=comparison, args=request.args, groups=REGIONAL_GROUPS,
                           charts=_charts(comparison, flt.group), show=show,
                           following=following.is_following(user(), "question", key),
                           form=ConfirmForm(),
                           export_args=without_empty(public_id=public_id, key=key,
                                                      group=flt.group, value=flt.value))


@bp.get("/<pid:public_id>/grid")
def grid(public_id: str):
    questionnaire = questionnaire_or_404(public_id)
    keys, group = grid_keys(questionnaire), group_arg()
    show = _show_arg()
    questions, rows = reading.grid(user(), questionnaire, keys, group)
    answered, unanswered = reading.answered_rows(rows)
    return render_template("questionnaires/grid.html", questionnaire=questionnaire,
                           questions=questions, rows=answered, show=show,
                           unanswered=unanswered if show == "all" else [], args=request.args,
                           groups=REGIONAL_GROUPS, chosen=set(keys),
                           export_args=without_empty(public_id=public_id, q=keys,
                                                      group=group))


@bp.get("/<pid:public_id>/completion")
@roles_required(*SECRETARIAT_ROLES)
def completion_page(public_id: str):
    questionnaire = questionnaire_or_404(public_id)
    return render_template("questionnaires/completion.html", questionnaire=questionnaire,
                           groups=completion.completion(user(), questionnaire),
                           stale=completion.stale_answers(user(), questionnaire),
                           statuses=RESPONSE_STATUSES)
