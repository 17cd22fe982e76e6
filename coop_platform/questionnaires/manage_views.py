"""Administrators' pages for questionnaire versions: make a new version from the open one,
edit a draft's questions, open it (which closes the old one), close a version."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop_platform.core.authz import Role, roles_required
from coop_platform.core.exceptions import DomainError, NotFound
from coop_platform.core.forms import ConfirmForm, attach_error, status_for
from coop_platform.questionnaires.forms import NewQuestionForm, QuestionForm
from coop_platform.questionnaires.models import QUESTION_TYPES, Questionnaire
from coop_platform.questionnaires.services import authoring, editing

bp = Blueprint("manage_questionnaires", __name__)


@bp.before_request
@roles_required(Role.ADMIN)
def _administrators_only() -> None:
    """Every page here is an administrator's."""


def _user():
    return current_user._get_current_object()


def _version_or_404(public_id: str) -> Questionnaire:
    try:
        return authoring.get_questionnaire(public_id, include_drafts=True)
    except NotFound:
        abort(404)


def _new_question_form(questionnaire: Questionnaire) -> NewQuestionForm:
    form = NewQuestionForm()
    form.section.choices = [(s.code, f"{s.code}. {s.title}") for s in questionnaire.sections]
    form.qtype.choices = [(k, str(v)) for k, v in QUESTION_TYPES.items()]
    return form


@bp.get("/")
def versions():
    return render_template("questionnaires/manage/versions.html",
                           questionnaires=authoring.list_questionnaires(include_drafts=True),
                           form=ConfirmForm())


@bp.post("/<pid:public_id>/<any(open, closed, clone):action>")
def change(public_id: str, action: str):
    questionnaire = _version_or_404(public_id)
    form = ConfirmForm()
    if not form.validate_on_submit() or (action != "clone" and not form.confirm.data):
        flash(_l("Tick “I confirm” to change a version's status."), "error")
        return redirect(url_for(".versions"), 303)
    try:
        if action == "clone":
            copy = authoring.clone(_user(), questionnaire)
            flash(_l("Version %(n)d was made as a draft, with the States' answers carried "
                     "forward. Edit its questions, then open it.", n=copy.version), "success")
            return redirect(url_for(".version", public_id=copy.public_id), 303)
        authoring.set_status(_user(), questionnaire, action)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".versions"), 303)
    flash(_l("The version is open; the previous one is closed.") if action == "open"
          else _l("The version is closed: its answers can be read, no longer changed."),
          "success")
    return redirect(url_for(".versions"), 303)


def _version_page(questionnaire: Questionnaire, new_form=None, status: int = 200):
    return render_template("questionnaires/manage/version.html", questionnaire=questionnaire,
                           new_form=new_form or _new_question_form(questionnaire),
                           form=ConfirmForm(), types=QUESTION_TYPES), status


@bp.get("/<pid:public_id>")
def version(public_id: str):
    return _version_page(_version_or_404(public_id))


@bp.post("/<pid:public_id>/questions")
def add_question(public_id: str):
    questionnaire = _version_or_404(public_id)
    form = _new_question_form(questionnaire)
    if not form.validate_on_submit():
        return _version_page(questionnaire, form, status_for(form))
    try:
        question = editing.add_question(_user(), questionnaire, form.section.data,
                                        form.number.data, form.qtype.data, form.text_en.data,
                                        form.text_fr.data)
    except DomainError as error:
        return _version_page(questionnaire, form, attach_error(form, error))
    flash(_l("%(key)s was added. Complete it below.", key=question.key), "success")
    return redirect(url_for(".question", public_id=public_id, key=question.key), 303)


def _question_or_404(questionnaire: Questionnaire, key: str):
    question = next((q for q in questionnaire.questions if q.key == key), None)
    if question is None:
        abort(404)
    return question


@bp.route("/<pid:public_id>/questions/<string(maxlength=12):key>", methods=["GET", "POST"])
def question(public_id: str, key: str):
    questionnaire = _version_or_404(public_id)
    item = _question_or_404(questionnaire, key)
    form = QuestionForm()
    if request.method == "GET":
        settings = item.settings
        form.process(data={
            "text_en": item.text_en, "text_fr": item.text_fr, "help_en": item.help_en,
            "help_fr": item.help_fr, "required": item.required, "comparable": item.comparable,
            "options": editing.options_text(item), "unit_en": settings.get("unit_en", ""),
            "unit_fr": settings.get("unit_fr", ""), "minimum": settings.get("min", ""),
            "maximum": settings.get("max", ""), "condition_key": item.condition_key or "",
            "condition_values": ", ".join(item.condition_values)})
        return _question_page(questionnaire, item, form)
    if not form.validate_on_submit():
        return _question_page(questionnaire, item, form, status_for(form))
    edit = editing.QuestionEdit(**{name: form[name].data for name in (
        "text_en", "text_fr", "help_en", "help_fr", "required", "comparable", "options",
        "unit_en", "unit_fr", "minimum", "maximum", "condition_key", "condition_values")})
    try:
        changed = editing.edit_question(_user(), questionnaire, key, edit)
    except DomainError as error:
        return _question_page(questionnaire, item, form, attach_error(form, error))
    flash(_l("Saved.") if changed else _l("Nothing had changed."), "success")
    return redirect(url_for(".version", public_id=public_id, _anchor=f"q-{key}"), 303)


def _question_page(questionnaire, item, form, status: int = 200):
    return render_template("questionnaires/manage/question.html", questionnaire=questionnaire,
                           question=item, form=form, confirm_form=ConfirmForm(),
                           fixed=editing.fixed_options(item), types=QUESTION_TYPES), status


@bp.post("/<pid:public_id>/questions/<string(maxlength=12):key>/remove")
def remove_question(public_id: str, key: str):
    questionnaire = _version_or_404(public_id)
    _question_or_404(questionnaire, key)
    form = ConfirmForm()
    if not form.validate_on_submit() or not form.confirm.data:
        flash(_l("Tick “I confirm” to remove the question."), "error")
        return redirect(url_for(".question", public_id=public_id, key=key), 303)
    try:
        carried = editing.remove_question(_user(), questionnaire, key)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".question", public_id=public_id, key=key), 303)
    flash(_l("%(key)s was removed from this draft, with %(n)d carried answer(s); the previous "
             "version keeps its own.", key=key, n=carried), "success")
    return redirect(url_for(".version", public_id=public_id), 303)
