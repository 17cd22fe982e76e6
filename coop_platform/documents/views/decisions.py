"""What changes a document's reach or status: sharing, the Secretariat's decisions on
sharing, and the lifecycle actions."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import DomainError, ValidationFailed
from coop_platform.documents import models
from coop_platform.documents.forms import (
    ActionForm,
    SharingForm,
)
from coop_platform.documents.services import currency, revisions
from coop_platform.documents.services import documents as docs
from coop_platform.documents.services import sharing as sharing_service
from coop_platform.documents.views.common import (
    bp,
    current_reader,
    document_or_404,
    fill_state_choices,
    refused_page,
)

# Decisions that cannot be undone are confirmed on a second page.
CONFIRMED_ACTIONS = ("reject", "withdraw")


@bp.post("/<pid:public_id>/sharing")
def sharing(public_id: str):
    document = document_or_404(public_id)
    form = SharingForm()
    fill_state_choices(form)
    if not form.validate_on_submit():
        return refused_page(ValidationFailed(_l("Check the sharing choices.")), document,
                        sharing=form)
    try:
        outcome = sharing_service.change(current_reader(), document, sharing_service.Sharing(
            form.audience.data, form.states.data or [], form.share_with_court.data))
    except DomainError as error:
        return refused_page(error, document, sharing=form)
    if outcome.requested:
        flash(_l("The wider sharing was sent to the Secretariat for approval. Until it decides, "
                 "the document stays shared as approved.") if not outcome.applied else
              _l("The narrower part of the change applies now; the wider part was sent to the "
                 "Secretariat for approval."), "success")
    else:
        flash(_l("Who may see the document was changed."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


@bp.post("/<pid:public_id>/sharing/<decision>")
def sharing_decision(public_id: str, decision: str):
    """The Secretariat accepts or refuses a wider sharing asked for by the owner State."""
    if decision not in ("accept", "refuse"):
        abort(404)
    document = document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return refused_page(ValidationFailed(_l("Check the reason.")), document, action_form=form)
    try:
        sharing_service.decide(current_reader(), document, decision == "accept", form.reason.data or "")
    except DomainError as error:
        return refused_page(error, document, action_form=form)
    flash(_l("The wider sharing was accepted: it applies now.") if decision == "accept" else
          _l("The wider sharing was refused; the owner State is told why."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


REVISION_DONE = {
    "accept": _l("The revision was accepted: everyone who may see the document now reads it."),
    "return": _l("The revision was returned; the owner State is told why."),
    "reject": _l("The revision was rejected; the owner State is told why. The document stays "
                 "as published."),
    "recall": _l("The revision was taken back; the document stays as published."),
}


@bp.post("/<pid:public_id>/revision/<action>")
def revision_action(public_id: str, action: str):
    """The Secretariat's decision on a pending revision, or the owner taking it back."""
    if action not in REVISION_DONE:
        abort(404)
    document = document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return refused_page(ValidationFailed(_l("Check the reason.")), document, action_form=form)
    try:
        if action == "recall":
            revisions.recall(current_reader(), document)
        else:
            revisions.decide(current_reader(), document, action, form.reason.data or "")
    except DomainError as error:
        return refused_page(error, document, action_form=form)
    flash(REVISION_DONE[action], "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


@bp.post("/<pid:public_id>/confirm")
def confirm_current(public_id: str):
    """The owner State says, in one click, that the published document is still current."""
    document = document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return refused_page(ValidationFailed(_l("The form expired: try again.")), document,
                            action_form=form)
    try:
        currency.confirm(current_reader(), document)
    except DomainError as error:
        return refused_page(error, document, action_form=form)
    flash(_l("Thank you: the document is marked as confirmed current today."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


@bp.post("/<pid:public_id>/<action>")
def act(public_id: str, action: str):
    document = document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return refused_page(ValidationFailed(_l("Check the reason.")), document, action_form=form)
    # An action that cannot be undone, and would be taken, is first confirmed on a second
    # page (no JavaScript needed): nothing has changed yet. Refusals go straight through.
    if (action in CONFIRMED_ACTIONS and not request.form.get("confirmed")
            and docs.may_take(current_reader(), document, action)
            and (document.status, action) in docs.TRANSITIONS
            and (form.reason.data or "").strip()):
        return render_template("documents/confirm.html", document=document, action=action,
                               form=form)
    try:
        docs.transition(current_reader(), document, action, form.reason.data or "")
    except DomainError as error:
        return refused_page(error, document, action_form=form)
    flash(_l("Done: the document is now “%(status)s”.", status=models.STATUSES[document.status]),
          "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)
