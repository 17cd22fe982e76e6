"""The home page: it gathers what every domain has for the person signed in, so it lives in
the top layer."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from coop_platform.auth.services.common import remaining_recovery_codes

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("core/home.html",
                           recovery_codes_left=remaining_recovery_codes(current_user))
