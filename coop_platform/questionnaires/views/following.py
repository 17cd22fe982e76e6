"""Following a State or a question, and the directory of focal points."""

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

from coop_platform.core.errors import render_error
from coop_platform.core.exceptions import DomainError, NotFound
from coop_platform.core.forms import ConfirmForm
from coop_platform.questionnaires.services import (
    authoring,
    directory,
    following,
    reading,
)
from coop_platform.questionnaires.views.common import (
    bp,
    directory_bp,
    group_arg,
    user,
)
from coop_platform.states.models import REGIONAL_GROUPS


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
                following.unfollow(user(), kind, target)
                flash(_l("You no longer follow it."), "success")
            else:
                following.follow(user(), kind, target)
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
                           iso3=reading.readable_state(user(), target).iso3)
        return url_for("questionnaires.compare", public_id=questionnaire.public_id,
                       key=reading.question_by_key(questionnaire, target).key)
    except DomainError:
        return url_for("notifications.index", _anchor="following")


@directory_bp.get("/", endpoint="index")
def directory_page():
    group = group_arg()
    questionnaire = directory.current_questionnaire()
    listings = directory.listings(user(), questionnaire, group) if questionnaire else []
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
        directory.claim(user(), questionnaire, request.form.get("state", "")[:3],
                        request.form.get("key", "")[:12])
        flash(_l("Confirmed: this listing is yours. You may now take it out of the "
                 "directory."), "success")
    elif directory.set_hidden(user(), action == "hide"):
        flash(_l("Your confirmed listings are no longer shown to other States and the "
                 "Court, nor their e-mail and phone anywhere on the platform.")
              if action == "hide" else _l("Your listing is shown in the directory again."),
              "success")
    return redirect(url_for("directory.index"), 303)
