"""Questionnaire pages: the list, my State's response (by section), another State's
response, the comparison of one question and the grid of several."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop_platform.core.authz import SECRETARIAT_ROLES, Role, roles_required
from coop_platform.core.clock import utcnow
from coop_platform.core.errors import audit_refusal, render_error
from coop_platform.core.exceptions import DomainError, NotFound, ValidationFailed
from coop_platform.core.forms import ConfirmForm
from coop_platform.core.i18n import format_when
from coop_platform.questionnaires import charts
from coop_platform.questionnaires.forms import AnswersForm, read_changes
from coop_platform.questionnaires.models import (
    CONTENT_LANGUAGES,
    RESPONSE_STATUSES,
    Questionnaire,
    QuestionnaireStatus,
)
from coop_platform.questionnaires.services import (
    answering,
    authoring,
    completion,
    directory,
    export,
    following,
    reading,
)
from coop_platform.questionnaires.services.reading import is_stale
from coop_platform.questionnaires.values import display
from coop_platform.states.models import REGIONAL_GROUPS

bp = Blueprint("questionnaires", __name__)
directory_bp = Blueprint("directory", __name__)


def _user():
    return current_user._get_current_object()


@bp.app_context_processor
def _helpers():
    return {"display": display, "is_stale": is_stale}


def _questionnaire_or_404(public_id: str) -> Questionnaire:
    try:
        return authoring.get_questionnaire(public_id)
    except NotFound:
        abort(404)


def _refused(error: DomainError, response=None):
    audit_refusal(error.status_code, str(error.message), object_type="response",
                  object_id=response.public_id if response is not None else "",
                  state_id=response.state_id if response is not None else None)
    return render_error(error.status_code, error.message)


@bp.get("/")
def index():
    questionnaires = authoring.list_questionnaires()
    mine = {}
    if _user().role == Role.FOCAL_POINT:
        for q in questionnaires:
            mine[q.id] = answering.my_response(_user(), q)
    return render_template("questionnaires/index.html", questionnaires=questionnaires,
                           mine=mine)


@bp.get("/<pid:public_id>/")
def overview(public_id: str):
    questionnaire = _questionnaire_or_404(public_id)
    return render_template("questionnaires/overview.html", questionnaire=questionnaire,
                           states=reading.states_for(_user()),
                           statuses=reading.response_statuses(_user(), questionnaire),
                           labels=RESPONSE_STATUSES)


def _my_response(questionnaire: Questionnaire, *, required: bool = True, start: bool = False):
    """The user's State's response; with `start` (a POST that saves answers), started if there
    is none while the questionnaire is open — a GET never writes. Only focal points have one;
    with `required`, none is a 404."""
    if _user().role != Role.FOCAL_POINT:
        abort(404)
    if start and questionnaire.status == QuestionnaireStatus.OPEN:
        return answering.start_response(_user(), questionnaire)
    response = answering.my_response(_user(), questionnaire)
    if response is None and required:
        abort(404)
    return response


def _my_response_page(questionnaire: Questionnaire, response, status: int = 200):
    summary = answering.summary(response) if response is not None else None
    return render_template("questionnaires/my_response.html", questionnaire=questionnaire,
                           response=response, summary=summary, form=ConfirmForm()), status


@bp.get("/<pid:public_id>/response")
def my_response(public_id: str):
    questionnaire = _questionnaire_or_404(public_id)
    return _my_response_page(questionnaire, _my_response(questionnaire, required=False))


@bp.post("/<pid:public_id>/response/start")
def start(public_id: str):
    """Start the State's response (one per State: two starts at once make one), then answer
    its first section."""
    questionnaire = _questionnaire_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        flash(_l("The form had expired: try again."), "error")
        return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
    response = _my_response(questionnaire, start=True)
    first = response.questionnaire.sections[0].code if response.questionnaire.sections else None
    if first is None:
        return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
    return redirect(url_for("questionnaires.section", public_id=public_id, code=first), 303)


def _section_or_404(questionnaire: Questionnaire, code: str):
    section = next((s for s in questionnaire.sections if s.code == code), None)
    if section is None:
        abort(404)
    return section


def _section_page(questionnaire, response, section, *, status=200, errors=None, stale=None,
                  form=None):
    current = answering.working_revisions(response)
    return render_template(
        "questionnaires/section.html", questionnaire=questionnaire, response=response,
        section=section, current=current, errors=errors or {}, stale=stale or {},
        sent=request.form if request.method == "POST" else None, form=form or AnswersForm(),
        languages=CONTENT_LANGUAGES,
    ), status


@bp.route("/<pid:public_id>/response/<string(maxlength=4):code>", methods=["GET", "POST"])
def section(public_id: str, code: str):
    questionnaire = _questionnaire_or_404(public_id)
    part = _section_or_404(questionnaire, code)
    if request.method == "GET":
        response = _my_response(questionnaire, required=False)
        if response is None:
            if questionnaire.status != QuestionnaireStatus.OPEN:
                abort(404)
            # Not started yet: the response page starts it (a GET writes nothing).
            return redirect(url_for("questionnaires.my_response", public_id=public_id))
        return _section_page(questionnaire, response, part)
    response = _my_response(questionnaire, start=True)
    form = AnswersForm()
    changes, errors = read_changes(part.questions, request.form)
    if request.headers.get("X-Autosave") == "1":
        return _autosave(response, form, changes, errors)
    if not form.validate_on_submit() or errors:
        flash(_l("Nothing was saved: check the answers marked below."), "error")
        audit_refusal(400, "answers refused", object_type="response",
                      object_id=response.public_id, state_id=response.state_id)
        return _section_page(questionnaire, response, part, status=400, errors=errors,
                             form=form)
    try:
        outcome = answering.save(_user(), response, changes)
    except DomainError as error:
        return _refused(error, response)
    if outcome.stale:
        flash(_l("Nothing was saved: someone saved some of these answers after you opened the "
                 "page. Both versions are shown below; keep what is right and save again."),
              "error")
        return _section_page(questionnaire, response, part, status=409,
                             stale={s.question.key: s for s in outcome.stale}, form=form)
    flash(_l("Saved.") if outcome.saved else _l("Nothing had changed."), "success")
    if request.form.get("then") == "next":
        following_section = _section_after(questionnaire, code)
        if following_section is None:  # the last section: the response, to submit it
            return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
        return redirect(url_for("questionnaires.section", public_id=public_id,
                                code=following_section), 303)
    return redirect(url_for("questionnaires.section", public_id=public_id, code=code), 303)


def _section_after(questionnaire: Questionnaire, code: str) -> str | None:
    codes = [s.code for s in questionnaire.sections]
    position = codes.index(code)
    return codes[position + 1] if position + 1 < len(codes) else None


def _autosave(response, form, changes, errors):
    """The same save for the page's script: JSON instead of a page, the new base revisions
    on success. Refusals are the same as the Save button's, said in one line."""
    if not form.validate_on_submit() or errors:
        audit_refusal(400, "answers refused", object_type="response",
                      object_id=response.public_id, state_id=response.state_id)
        return jsonify(status="invalid", errors={k: str(v) for k, v in errors.items()},
                       message=str(_l("Not saved: some answers need correcting. Use the Save "
                                      "button to see what."))), 400
    try:
        outcome = answering.save(_user(), response, changes)
    except DomainError as error:
        audit_refusal(error.status_code, str(error.message), object_type="response",
                      object_id=response.public_id, state_id=response.state_id)
        return jsonify(status="refused", message=str(error.message)), error.status_code
    if outcome.stale:
        return jsonify(status="stale", message=str(_l(
            "Not saved: a colleague saved some of these answers meanwhile. Use the Save "
            "button to see both versions."))), 409
    current = answering.working_revisions(response)
    return jsonify(status="saved", saved=outcome.saved,
                   bases={q.key: current[q.key][0].revision for q in
                          (c.question for c in changes)},
                   # Whether this call wrote or the last one already had: the page is saved.
                   message=str(_l("All changes saved.")))


@bp.post("/<pid:public_id>/response/confirm")
def confirm(public_id: str):
    questionnaire = _questionnaire_or_404(public_id)
    response = _my_response(questionnaire)
    form = ConfirmForm()
    code = request.form.get("section", "")
    keys = request.form.getlist("key")
    if code:
        keys = [q.key for q in _section_or_404(questionnaire, code).questions]
    quietly = request.headers.get("X-Autosave") == "1"  # the page's script: JSON, no reload
    if not form.validate_on_submit() or not keys or len(request.form.getlist("section")) > 1:
        if quietly:
            return jsonify(status="invalid", message=str(_l("Choose what to confirm."))), 400
        flash(_l("Choose what to confirm."), "error")
        return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
    try:
        confirmed = answering.confirm(_user(), response, keys)
    except DomainError as error:
        if quietly:
            audit_refusal(error.status_code, str(error.message), object_type="response",
                          object_id=response.public_id, state_id=response.state_id)
            return jsonify(status="refused", message=str(error.message)), error.status_code
        return _refused(error, response)
    said = _l("Confirmed as still accurate: %(keys)s.", keys=", ".join(confirmed))
    if quietly:
        return jsonify(status="confirmed", message=str(said), keys=confirmed,
                       confirmed=str(_l("Last confirmed %(when)s", when=format_when(utcnow()))))
    flash(said, "success")
    target = code or (keys[0].split(".")[0] if keys else "")
    if target and any(s.code == target for s in questionnaire.sections):
        # Back where the person was: at the question confirmed, or the section's top.
        return redirect(url_for("questionnaires.section", public_id=public_id, code=target,
                                _anchor=None if code else f"q-{keys[0]}"), 303)
    return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)


@bp.post("/<pid:public_id>/response/<any(submit, recall):action>")
def submit(public_id: str, action: str):
    questionnaire = _questionnaire_or_404(public_id)
    response = _my_response(questionnaire)
    if not ConfirmForm().validate_on_submit():
        flash(_l("The form had expired: try again."), "error")
        return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
    try:
        if action == "submit":
            answering.submit(_user(), response)
            flash(_l("Submitted: the Secretariat will review the response."), "success")
        else:
            answering.recall(_user(), response)
            flash(_l("The submission was recalled: you can change the answers."), "success")
    except DomainError as error:
        if error.status_code in (400, 409):
            audit_refusal(error.status_code, str(error.message), object_type="response",
                          object_id=response.public_id, state_id=response.state_id)
            flash(error.message, "error")
            return _my_response_page(questionnaire, response, error.status_code)
        return _refused(error, response)
    return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)


def _readable_state_or_404(iso3: str):
    try:
        return reading.readable_state(_user(), iso3)
    except NotFound:
        abort(404)


@bp.get("/<pid:public_id>/states/<string(length=3):iso3>")
def state_response(public_id: str, iso3: str):
    questionnaire = _questionnaire_or_404(public_id)
    state = _readable_state_or_404(iso3)
    return render_template("questionnaires/state.html", questionnaire=questionnaire,
                           state=state, sections=reading.state_response(_user(), questionnaire,
                                                                        state),
                           response=reading.response_status_for(_user(), questionnaire, state),
                           following=following.is_following(_user(), "state", state.iso3),
                           form=ConfirmForm())


@bp.get("/<pid:public_id>/states/<string(length=3):iso3>/print")
def printable(public_id: str, iso3: str):
    """One State's response on paper: every answer in full, who printed it and when."""
    questionnaire = _questionnaire_or_404(public_id)
    state = _readable_state_or_404(iso3)
    sections = reading.state_response(_user(), questionnaire, state)
    export.record_print(_user(), questionnaire, state)
    return render_template("questionnaires/print.html", questionnaire=questionnaire,
                           state=state, sections=sections, printed_at=utcnow(),
                           response=reading.response_status_for(_user(), questionnaire, state))


def _group_arg() -> str:
    group = request.args.get("group", "")
    if group and group not in REGIONAL_GROUPS:
        raise ValidationFailed(_l("Choose a regional group from the list."))
    return group


def _comparison_filter(questionnaire: Questionnaire, key: str) -> reading.ComparisonFilter:
    try:
        question = reading.question_by_key(questionnaire, key)
    except NotFound:
        abort(404)
    group, value = _group_arg(), request.args.get("value", "")
    if value not in {code for code, _ in question.options} | {"none", "stale", ""}:
        raise ValidationFailed(_l("Choose an answer from the list."))
    return reading.ComparisonFilter(group=group, value=value)


def _grid_keys(questionnaire: Questionnaire) -> list[str]:
    keys = list(dict.fromkeys(k for k in request.args.getlist("q") if k))
    if len(keys) > reading.MAX_GRID_QUESTIONS:
        raise ValidationFailed(_l("Choose at most %(n)d questions.",
                                  n=reading.MAX_GRID_QUESTIONS))
    known = {q.key for q in questionnaire.questions}
    if any(k not in known for k in keys):
        raise ValidationFailed(_l("Choose questions from the list."))
    return keys


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


def _without_empty(**args) -> dict:
    """A page's parameters for its export links (an empty filter is left out)."""
    return {k: v for k, v in args.items() if v}


@bp.get("/<pid:public_id>/compare/<string(maxlength=12):key>")
def compare(public_id: str, key: str):
    questionnaire = _questionnaire_or_404(public_id)
    flt = _comparison_filter(questionnaire, key)
    comparison = reading.compare(_user(), questionnaire, key, flt)
    return render_template("questionnaires/compare.html", questionnaire=questionnaire,
                           comparison=comparison, args=request.args, groups=REGIONAL_GROUPS,
                           charts=_charts(comparison, flt.group), show=_show_arg(),
                           following=following.is_following(_user(), "question", key),
                           form=ConfirmForm(),
                           export_args=_without_empty(public_id=public_id, key=key,
                                                      group=flt.group, value=flt.value))


@bp.get("/<pid:public_id>/grid")
def grid(public_id: str):
    questionnaire = _questionnaire_or_404(public_id)
    keys, group = _grid_keys(questionnaire), _group_arg()
    show = _show_arg()
    questions, rows = reading.grid(_user(), questionnaire, keys, group)
    answered, unanswered = reading.answered_rows(rows)
    return render_template("questionnaires/grid.html", questionnaire=questionnaire,
                           questions=questions, rows=answered, show=show,
                           unanswered=unanswered if show == "all" else [], args=request.args,
                           groups=REGIONAL_GROUPS, chosen=set(keys),
                           export_args=_without_empty(public_id=public_id, q=keys,
                                                      group=group))


# -- exports: the same readings, as files ----------------------------------------------------
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
    file = export.render(_user(), build(), fmt, layout, part)
    return send_file(io.BytesIO(file.content), mimetype=file.mimetype, as_attachment=True,
                     download_name=file.name)


@bp.get(f"/<pid:public_id>/export.{EXPORT}")
def export_questionnaire(public_id: str, fmt: str):
    questionnaire = _questionnaire_or_404(public_id)
    group = _group_arg()
    every = _every_state_arg()
    return _send(fmt, lambda: export.of_questionnaire(_user(), questionnaire, group, every))


@bp.get(f"/<pid:public_id>/states/<string(length=3):iso3>/export.{EXPORT}")
def export_response(public_id: str, iso3: str, fmt: str):
    questionnaire = _questionnaire_or_404(public_id)
    state = _readable_state_or_404(iso3)
    return _send(fmt, lambda: export.of_response(_user(), questionnaire, state))


@bp.get(f"/<pid:public_id>/compare/<string(maxlength=12):key>/export.{EXPORT}")
def export_comparison(public_id: str, key: str, fmt: str):
    questionnaire = _questionnaire_or_404(public_id)
    flt, every = _comparison_filter(questionnaire, key), _every_state_arg()
    return _send(fmt, lambda: export.of_comparison(_user(), questionnaire, key, flt, every))


@bp.get(f"/<pid:public_id>/grid/export.{EXPORT}")
def export_grid(public_id: str, fmt: str):
    questionnaire = _questionnaire_or_404(public_id)
    keys = _grid_keys(questionnaire)
    if not keys:
        raise ValidationFailed(_l("Choose the questions to export."))
    group, every = _group_arg(), _every_state_arg()
    return _send(fmt, lambda: export.of_grid(_user(), questionnaire, keys, group, every))


@bp.get("/<pid:public_id>/completion")
@roles_required(*SECRETARIAT_ROLES)
def completion_page(public_id: str):
    questionnaire = _questionnaire_or_404(public_id)
    return render_template("questionnaires/completion.html", questionnaire=questionnaire,
                           groups=completion.completion(_user(), questionnaire),
                           stale=completion.stale_answers(_user(), questionnaire),
                           statuses=RESPONSE_STATUSES)


# -- following and the directory -------------------------------------------------------------
@bp.post("/follow")
def follow():
    """Follow or stop following a State or a question; back to the page it was done from."""
    kind, target = request.form.get("kind", ""), request.form.get("target", "")[:12]
    stop = request.form.get("action") == "stop"
    if not ConfirmForm().validate_on_submit():
        flash(_l("The form had expired: try again."), "error")
    else:
        try:
            if stop:
                following.unfollow(_user(), kind, target)
                flash(_l("You no longer follow it."), "success")
            else:
                following.follow(_user(), kind, target)
                flash(_l("Followed: you will be told when the Secretariat accepts a changed "
                         "answer."), "success")
        except NotFound:
            abort(404)
    if request.form.get("back") == "page":
        return redirect(_page_of(kind, target, request.form.get("questionnaire", "")), 303)
    return redirect(url_for("notifications.index", _anchor="following"), 303)


def _page_of(kind: str, target: str, public_id: str) -> str:
    """The State's or the question's page the follow was made from, when it is one the user
    may open; the list of follows otherwise."""
    try:
        questionnaire = authoring.get_questionnaire(public_id)
        if kind == "state":
            return url_for("questionnaires.state_response", public_id=questionnaire.public_id,
                           iso3=reading.readable_state(_user(), target).iso3)
        return url_for("questionnaires.compare", public_id=questionnaire.public_id,
                       key=reading.question_by_key(questionnaire, target).key)
    except DomainError:
        return url_for("notifications.index", _anchor="following")


@directory_bp.get("/", endpoint="index")
def directory_page():
    group = _group_arg()
    questionnaire = directory.current_questionnaire()
    listings = directory.listings(_user(), questionnaire, group) if questionnaire else []
    return render_template("questionnaires/directory.html", questionnaire=questionnaire,
                           listings=listings, mine=[lst for lst in listings if lst.mine],
                           groups=REGIONAL_GROUPS, args=request.args, form=ConfirmForm())


@directory_bp.post("/my-listing")
def my_listing():
    """The listed person confirms a listing is them, takes their confirmed listings out of
    the directory or puts them back."""
    action = request.form.get("action")
    if action not in ("claim", "hide", "show"):
        return render_error(400, _l("Choose whether to take your listing out or to put it "
                                    "back."))
    if not ConfirmForm().validate_on_submit():
        flash(_l("The form had expired: try again."), "error")
    elif action == "claim":
        questionnaire = directory.current_questionnaire()
        if questionnaire is None:
            abort(404)
        directory.claim(_user(), questionnaire, request.form.get("state", "")[:3],
                        request.form.get("key", "")[:12])
        flash(_l("Confirmed: this listing is yours. You may now take it out of the "
                 "directory."), "success")
    elif directory.set_hidden(_user(), action == "hide"):
        flash(_l("Your confirmed listings are no longer shown to other States and the "
                 "Court, nor their e-mail and phone anywhere on the platform.")
              if action == "hide" else _l("Your listing is shown in the directory again."),
              "success")
    return redirect(url_for("directory.index"), 303)
