"""My State's response: starting it, answering a section (autosaved), confirming answers as
still accurate, submitting and recalling."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from coop_platform.core.authz import Role
from coop_platform.core.clock import utcnow
from coop_platform.core.errors import audit_refusal
from coop_platform.core.exceptions import DomainError
from coop_platform.core.forms import ConfirmForm
from coop_platform.core.i18n import format_when
from coop_platform.questionnaires.forms import AnswersForm, read_changes
from coop_platform.questionnaires.models import (
    CONTENT_LANGUAGES,
    Questionnaire,
    QuestionnaireStatus,
)
from coop_platform.questionnaires.services import (
    answering,
)
from coop_platform.questionnaires.views.common import (
    bp,
    questionnaire_or_404,
    refused,
    user,
)


def _my_response(questionnaire: Questionnaire, *, required: bool = True, start: bool = False):
    """The user's State's response; with `start` (a POST that saves answers), started if there
    is none while the questionnaire is open — a GET never writes. Only focal points have one;
    with `required`, none is a 404."""
    if user().role != Role.FOCAL_POINT:
        abort(404)
    if start and questionnaire.status == QuestionnaireStatus.OPEN:
        return answering.start_response(user(), questionnaire)
    response = answering.my_response(user(), questionnaire)
    if response is None and required:
        abort(404)
    return response


def _my_response_page(questionnaire: Questionnaire, response, status: int = 200):
    summary = answering.summary(response) if response is not None else None
    return render_template("questionnaires/my_response.html", questionnaire=questionnaire,
                           response=response, summary=summary, form=ConfirmForm()), status


@bp.get("/<pid:public_id>/response")
def my_response(public_id: str):
    questionnaire = questionnaire_or_404(public_id)
    return _my_response_page(questionnaire, _my_response(questionnaire, required=False))


@bp.post("/<pid:public_id>/response/start")
def start(public_id: str):
    """Start the State's response (one per State: two starts at once make one), then answer
    its first section."""
    questionnaire = questionnaire_or_404(public_id)
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
    questionnaire = questionnaire_or_404(public_id)
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
        outcome = answering.save(user(), response, changes)
    except DomainError as error:
        return refused(error, response)
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
        outcome = answering.save(user(), response, changes)
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
    questionnaire = questionnaire_or_404(public_id)
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
        confirmed = answering.confirm(user(), response, keys)
    except DomainError as error:
        if quietly:
            audit_refusal(error.status_code, str(error.message), object_type="response",
                          object_id=response.public_id, state_id=response.state_id)
            return jsonify(status="refused", message=str(error.message)), error.status_code
        return refused(error, response)
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
    questionnaire = questionnaire_or_404(public_id)
    response = _my_response(questionnaire)
    if not ConfirmForm().validate_on_submit():
        flash(_l("The form had expired: try again."), "error")
        return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
    try:
        if action == "submit":
            answering.submit(user(), response)
            flash(_l("Submitted: the Secretariat will review the response."), "success")
        else:
            answering.recall(user(), response)
            flash(_l("The submission was recalled: you can change the answers."), "success")
    except DomainError as error:
        if error.status_code in (400, 409):
            audit_refusal(error.status_code, str(error.message), object_type="response",
                          object_id=response.public_id, state_id=response.state_id)
            flash(error.message, "error")
            return _my_response_page(questionnaire, response, error.status_code)
        return refused(error, response)
    return redirect(url_for("questionnaires.my_response", public_id=public_id), 303)
