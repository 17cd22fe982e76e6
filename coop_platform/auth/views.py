"""Login, second factor, invitation acceptance, logout and the user's own account."""

from __future__ import annotations

import json
import math
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from coop_platform.auth import sessions
from coop_platform.auth.forms import (
    EnrolForm,
    LoginForm,
    NotificationSettingsForm,
    PasswordChangeForm,
    ReenrolForm,
    SecondFactorForm,
    StepUpForm,
)
from coop_platform.auth.models import User
from coop_platform.auth.services import accounts, invitations
from coop_platform.auth.services import login as login_service
from coop_platform.auth.services.common import AccountLocked, remaining_recovery_codes
from coop_platform.core.errors import audit_refusal, render_error
from coop_platform.core.exceptions import DomainError, Forbidden
from coop_platform.core.forms import ConfirmForm, attach_error, status_for
from coop_platform.core.i18n import LANGUAGE_COOKIE, format_when
from coop_platform.core.security import safe_local_path
from coop_platform.crypto.keyring import KeyError_
from coop_platform.extensions import keyring, limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _locked_message(error: AccountLocked) -> str:
    return _l("Too many failed attempts: this account is locked until %(until)s (UTC).",
              until=format_when(error.until))


def _address_must_wait(address: str):
    """429 with Retry-After while the address's growing delay runs (audited), else None."""
    wait = login_service.address_wait(address)
    if wait <= 0:
        return None
    seconds = max(1, math.ceil(wait))
    audit_refusal(429, "address must wait")
    response = make_response(render_error(429, ngettext(
        "Too many failed attempts from your address. Try again in %(num)d second.",
        "Too many failed attempts from your address. Try again in %(num)d seconds.",
        seconds)))
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        waiting = _address_must_wait(address)
        if waiting is not None:
            return waiting
        try:
            user = login_service.check_password(form.email.data, form.password.data, address)
        except AccountLocked as error:
            flash(_locked_message(error), "error")
            status = 403
        except DomainError as error:
            flash(str(error.message), "error")
            status = error.status_code
        else:
            sessions.begin_pre_auth(user, request.args.get("next"))
            return redirect(url_for("auth.second_factor"))
    return render_template("auth/login.html", form=form), max(status, status_for(form))



@bp.route("/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    user = sessions.pre_auth_user()
    if user is None:
        flash(_l("Please sign in with your e-mail address and password first."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        waiting = _address_must_wait(address)
        if waiting is not None:
            return waiting
        try:
            method = login_service.check_second_factor(user, form.code.data, address)
        except AccountLocked as error:
            sessions.end_session()
            flash(_locked_message(error), "error")
            return redirect(url_for("auth.login")), 303
        except DomainError as error:
            status = attach_error(form, error)
        else:
            next_url = sessions.start_session(user)
            if method == "recovery_code":
                flash(ngettext("You signed in with a recovery code. %(num)d code remains; you can "
                               "make a new set on your account page.",
                               "You signed in with a recovery code. %(num)d codes remain; you can "
                               "make a new set on your account page.",
                               remaining_recovery_codes(user)),
                      "warning")
            return redirect(next_url or url_for("home.index"))
    return render_template("auth/second_factor.html", form=form), max(status, status_for(form))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def invitation(token: str):
    try:
        invite = invitations.find_invitation(token)
    except DomainError as error:
        return render_template("auth/invitation_invalid.html", message=error.message), 410
    form = EnrolForm() if invite.purpose == "enrol" else ReenrolForm()
    status = 200
    if form.validate_on_submit():
        confirm = getattr(form, "password_confirm", None)
        try:
            user, codes = invitations.accept(invite, form.password.data,
                                             confirm.data if confirm else None, form.code.data)
        except DomainError as error:
            status = attach_error(form, error)
        else:
            sessions.start_session(user)
            _keep_fresh_codes(user, codes, first_time=True)
            return redirect(url_for("auth.recovery_codes"), 303)
    offer = invitations.enrolment_offer(invite)
    return render_template("auth/invitation.html", form=form, invite=invite,
                           offer=offer), max(status, status_for(form))


@bp.post("/language")
def set_language():
    """Public: the sign-in page offers it too. Remembered per user and in a cookie."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        accounts.set_locale(current_user, lang)
    response = redirect(safe_local_path(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Strict", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        login_service.record_logout(current_user._get_current_object())
    sessions.end_session()
    flash(_l("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
def account():
    return _account_page(None, "")


def _account_page(error: DomainError | None, which: str, form: StepUpForm | None = None):
    """The account page; a refused code shows next to the form that sent it, with its status
    (400 wrong code, 403 locked, 429 too many)."""
    forms = {"recovery": StepUpForm(prefix="recovery", formdata=None),
             "reenrol": StepUpForm(prefix="reenrol", formdata=None)}
    status = 200
    if form is not None:
        forms[which] = form
        status = 400
    if error is not None:
        status = attach_error(forms[which], error)
    settings = NotificationSettingsForm(formdata=None)
    settings.email_notifications.data = current_user.email_notifications
    return render_template("auth/account.html", settings_form=settings,
                           recovery_codes_left=remaining_recovery_codes(current_user),
                           recovery_form=forms["recovery"], reenrol_form=forms["reenrol"]), status


def _address() -> str:
    return request.remote_addr or ""


def _code_refusal(error: DomainError) -> DomainError:
    """A locked account is told until when, next to the code field."""
    if isinstance(error, AccountLocked):
        return Forbidden(_locked_message(error), field="code")
    return error


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.password.data,
                                     form.password_confirm.data, form.code.data, _address())
        except DomainError as error:
            status = attach_error(form, _code_refusal(error))
        else:
            sessions.refresh_identity(user)
            flash(_l("Your password was changed. Your other sessions have been signed out."),
                  "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), max(status, status_for(form))


@bp.post("/account/recovery-codes")
@limiter.limit(_login_limit)
def regenerate_recovery_codes():
    form = StepUpForm(prefix="recovery")
    if form.validate_on_submit():
        try:
            codes = accounts.regenerate_recovery_codes(current_user._get_current_object(),
                                                       form.code.data, _address())
        except DomainError as error:
            return _account_page(_code_refusal(error), "recovery")
        sessions.mark_step_up()
        _keep_fresh_codes(current_user, codes, first_time=False)
        return redirect(url_for("auth.recovery_codes"), 303)
    return _account_page(None, "recovery", form)


# -- recovery codes just issued ---------------------------------------------------------------
# They are shown until the person says they kept them: a language switch or a reload shows the
# same codes again (they are already in force). They wait in the session cookie, encrypted
# with the second-factor key and bound to the user, for FRESH_CODES_SECONDS at most.
FRESH_CODES_SECONDS = 30 * 60


def _codes_context(user: User) -> bytes:
    return f"fresh-recovery-codes:user:{user.id}".encode()


def _keep_fresh_codes(user: User, codes: list[str], first_time: bool) -> None:
    sealed = keyring().encrypt("totp", json.dumps(codes).encode(), _codes_context(user))
    session["fresh_codes"] = {"sealed": sealed, "at": time.time(), "first": first_time}


def _fresh_codes(user: User) -> tuple[list[str], bool] | None:
    kept = session.get("fresh_codes")
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > FRESH_CODES_SECONDS:
        return None
    try:
        codes = json.loads(keyring().decrypt("totp", kept["sealed"], _codes_context(user)))
    except (KeyError, ValueError, KeyError_):
        return None
    return codes, bool(kept.get("first"))


@bp.get("/account/recovery-codes")
def recovery_codes():
    kept = _fresh_codes(current_user)
    if kept is None:
        flash(_l("There are no new recovery codes to show. You can make a new set here."),
              "info")
        return redirect(url_for("auth.account"))
    codes, first_time = kept
    return render_template("auth/recovery_codes.html", codes=codes, first_time=first_time,
                           form=ConfirmForm())


@bp.get("/account/recovery-codes.txt")
def recovery_codes_file():
    """The same codes as a text file to keep offline (never cached: no-store)."""
    kept = _fresh_codes(current_user)
    if kept is None:
        abort(404)
    codes, _first_time = kept
    lines = [str(_l("Secured Platform on Cooperation — recovery codes for %(email)s",
                    email=current_user.email)),
             str(_l("Each code works once. Keep this file away from your authenticator.")), "",
             *codes, ""]
    response = Response("\n".join(lines), content_type="text/plain; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


@bp.post("/account/recovery-codes/kept")
def recovery_codes_kept():
    if ConfirmForm().validate_on_submit():
        session.pop("fresh_codes", None)
    return redirect(url_for("home.index"), 303)


@bp.post("/account/notifications")
def notification_settings():
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        accounts.set_email_notifications(current_user._get_current_object(),
                                         form.email_notifications.data)
        flash(_l("Your notification settings were saved."), "success")
        return redirect(url_for("auth.account"), 303)
    return _account_page(None, "")[0], 400


@bp.post("/account/authenticator")
@limiter.limit(_login_limit)
def replace_authenticator():
    form = StepUpForm(prefix="reenrol")
    if not form.validate_on_submit():
        return _account_page(None, "reenrol", form)
    try:
        token = accounts.start_reenrolment(current_user._get_current_object(), form.code.data,
                                           _address())
    except DomainError as error:
        return _account_page(_code_refusal(error), "reenrol")
    sessions.mark_step_up()
    return redirect(url_for("auth.invitation", token=token)), 303
