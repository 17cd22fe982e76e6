"""The State profile page: `/states/<ISO3>`."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from coop_platform.core.exceptions import NotFound
from coop_platform.core.forms import ConfirmForm
from coop_platform.documents.models import DOCUMENT_TYPES
from coop_platform.profiles import services
from coop_platform.questionnaires.services import following

bp = Blueprint("profiles", __name__)


@bp.get("/<string(length=3):iso3>")
def state(iso3: str):
    if iso3 != iso3.upper():  # one address per State, as every link writes it
        return redirect(url_for("profiles.state", iso3=iso3.upper()), 301)
    user = current_user._get_current_object()
    try:
        profile = services.profile(user, iso3)
    except NotFound:
        abort(404)
    return render_template("profiles/state.html", profile=profile, state=profile.state,
                           questionnaire=profile.questionnaire, form=ConfirmForm(),
                           types=DOCUMENT_TYPES,
                           following=following.is_following(user, "state", profile.state.iso3))
