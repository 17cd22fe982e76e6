"""Home page, health check and language choice."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from coop_platform.auth.services.accounts import set_locale
from coop_platform.auth.services.common import remaining_recovery_codes
from coop_platform.core.health import check_health
from coop_platform.core.i18n import LANGUAGE_COOKIE
from coop_platform.core.sessions import safe_local_path

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render_template("core/home.html",
                           recovery_codes_left=remaining_recovery_codes(current_user))


@bp.get("/healthz")
def healthz():
    report = check_health()
    return jsonify(report), 200 if report["status"] == "ok" else 503


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        set_locale(current_user, lang)
    response = redirect(safe_local_path(request.form.get("next")) or url_for("core.home"))
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Strict", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
