"""Notifications for everyone; the moderation queue and dashboard for the Secretariat."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop_platform.core.authz import SECRETARIAT_ROLES, roles_required
from coop_platform.core.exceptions import DomainError, NotFound
from coop_platform.core.forms import ConfirmForm
from coop_platform.core.params import bounded_int, page_number
from coop_platform.documents import models as document_models
from coop_platform.documents.services import sharing
from coop_platform.moderation import dashboard, decisions, notifications, queue
from coop_platform.moderation.forms import ReviewForm
from coop_platform.questionnaires.services import completion, directory, following, review
from coop_platform.states.models import REGIONAL_GROUPS
from coop_platform.states.services import state_choices

notifications_bp = Blueprint("notifications", __name__)
bp = Blueprint("moderation", __name__)


def _user():
    return current_user._get_current_object()


@notifications_bp.app_context_processor
def _notification_words():
    """What moderation/_notification.html needs to say what a notification is about (the
    notifications page and the home page)."""
    return {"params_of": notifications.params_of, "decision_label": notifications.decision_label,
            "response_decision_label": notifications.response_decision_label,
            "state_name": notifications.state_name}


@notifications_bp.get("/")
def index():
    pagination = notifications.recent(_user(), page=page_number(request.args))
    return render_template("moderation/notifications.html", pagination=pagination,
                           visible=notifications.visible_document_ids(_user(), pagination.items),
                           form=ConfirmForm(), args=request.args,
                           follows=following.follows_of(_user()))


# Bounded: a number past the column (10^20) is a 404 from the router, never a database error.
@notifications_bp.get("/<int(max=2147483647):notification_id>")
def open_one(notification_id: int):
    """Opening a notification marks it read and leads to what it is about."""
    try:
        notification = notifications.open_notification(_user(), notification_id)
    except NotFound:
        abort(404)
    about = notifications.params_of(notification)
    if notification.kind == "response_submission" and _user().role in SECRETARIAT_ROLES:
        return redirect(url_for("moderation.review_response", public_id=about["response"]))
    if notification.kind == "answer_changed":
        return redirect(url_for("questionnaires.state_response",
                                public_id=about["questionnaire"], iso3=about["state"]))
    if notification.kind == "documents_reminder":
        organ = about.get("organ")
        publisher = ("secretariat" if organ == "secretariat" else "court") if organ else None
        return redirect(url_for("documents.index", state=about.get("state") or None,
                                publisher=publisher, sort="confirmed"))
    if notification.kind in ("response_decision", "answers_reminder"):
        return redirect(url_for("questionnaires.my_response",
                                public_id=about["questionnaire"]))
    if notification.document is not None and \
            notification.document_id in notifications.visible_document_ids(_user(), [notification]):
        return redirect(url_for("documents.detail", public_id=notification.document.public_id))
    return redirect(url_for("notifications.index"))


@notifications_bp.post("/read")
def mark_read():
    if ConfirmForm().validate_on_submit():
        notifications.mark_all_read(_user())
        flash(_l("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.get("/")
@roles_required(*SECRETARIAT_ROLES)
def queue_page():
    args = request.args
    flt = queue.QueueFilter(state=args.get("state", "")[:3], group=args.get("group", ""),
                            document_type=args.get("type", ""),
                            older_than_days=bounded_int(args, "older_than", 0, 3650) or 0)
    return render_template("moderation/queue.html", items=queue.pending_documents(_user(), flt),
                           responses=queue.pending_responses(_user(), flt),
                           revisions=queue.pending_revisions(_user(), flt),
                           sharing_requests=sharing.waiting_requests(_user()),
                           counts=queue.pending_counts(_user()), args=args,
                           groups=REGIONAL_GROUPS, states=state_choices(), m=document_models)


@bp.get("/dashboard")
@roles_required(*SECRETARIAT_ROLES)
def dashboard_page():
    questionnaire = directory.current_questionnaire()
    return render_template("moderation/dashboard.html", board=dashboard.build(_user()),
                           groups=REGIONAL_GROUPS, questionnaire=questionnaire,
                           completion=completion.completion(_user(), questionnaire)
                           if questionnaire is not None else [])


@bp.get("/responses/<pid:public_id>")
@roles_required(*SECRETARIAT_ROLES)
def review_response(public_id: str, form: ReviewForm | None = None, status: int = 200):
    try:
        response = review.get_for_review(_user(), public_id)
    except NotFound:
        abort(404)
    return render_template("moderation/review_response.html", response=response,
                           lines=review.review_lines(_user(), response),
                           form=form or ReviewForm()), status


@bp.post("/responses/<pid:public_id>/<action>")
@roles_required(*SECRETARIAT_ROLES)
def decide_response(public_id: str, action: str):
    if action not in decisions.ACTIONS:
        abort(404)
    try:
        response = review.get_for_review(_user(), public_id)
    except NotFound:
        abort(404)
    form = ReviewForm()
    repeated = any(len(request.form.getlist(k)) > 1 for k in request.form
                   if k.startswith("comment."))
    if not form.validate_on_submit() or repeated:
        flash(_l("Check the comments."), "error")
        return review_response(public_id, form, 400)
    comments = {k.removeprefix("comment."): v for k, v in request.form.items()
                if k.startswith("comment.")}
    try:
        decisions.decide(_user(), response, action, form.reason.data or "", comments)
    except DomainError as error:
        flash(str(error.message), "error")
        return review_response(public_id, form, error.status_code)
    flash(_l("Done: the response is now “%(status)s”.", status=response.status_label), "success")
    return redirect(url_for("moderation.queue_page"), 303)
