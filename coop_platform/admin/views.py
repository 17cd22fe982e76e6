"""Users and States administration (admins only)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from coop_platform.admin.forms import ConfirmForm, InviteForm, StateForm
from coop_platform.auth.models import ROLES, USER_STATUSES
from coop_platform.auth.services import accounts, invitations
from coop_platform.core.authz import Role, roles_required
from coop_platform.core.exceptions import DomainError
from coop_platform.core.forms import attach_error, status_for
from coop_platform.core.params import page_number
from coop_platform.documents.models import ORGANS
from coop_platform.extensions import db
from coop_platform.mail import outbox as mail
from coop_platform.states import services as states
from coop_platform.states.models import REGIONAL_GROUPS

bp = Blueprint("admin", __name__)


COURT_ORGAN_LABELS = {k: v for k, v in ORGANS.items() if k != "secretariat"}


@bp.before_request
@roles_required(Role.ADMIN)
def _admins_only() -> None:
    """Every page of this blueprint is for administrators."""


def _page() -> int:
    return page_number(request.args)


def _actor():
    return current_user._get_current_object()


# -- users ------------------------------------------------------------------------------------
@bp.get("/users")
def users():
    args = request.args
    pagination = accounts.list_users(role=args.get("role", ""), status=args.get("status", ""),
                                     state_iso3=args.get("state", "")[:3], query=args.get("q", "")[:100],
                                     page=_page())
    return render_template("admin/users.html", pagination=pagination, roles=ROLES,
                           statuses=USER_STATUSES, args=args, states=states.state_choices())


@bp.route("/users/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    form.state.choices = [SelectChoice("", _l("— none —"))] + [
        SelectChoice(s.iso3, f"{s.display_name} ({s.iso3})") for s in states.list_states(active="yes")
    ]
    status = 200
    if form.validate_on_submit():
        try:
            user, url = invitations.invite(form.email.data, form.role.data, form.state.data or None,
                                           _actor(), display_name=form.display_name.data or "")
        except DomainError as error:
            status = attach_error(form, error)
        else:
            return _invited_page(user, url)
    return render_template("admin/invite.html", form=form), max(status, status_for(form))


def _invited_page(target, url: str, reset: bool = False):
    """The link, once, with a copy button; queued for e-mail to the person when an SMTP
    server is configured (encrypted in the outbox, never logged: the body holds the secret)."""
    sent = send_link(target.email, url, reset) if current_app.config.get("SMTP_HOST") else None
    return render_template("admin/invited.html", invited=target, url=url, reset=reset,
                           sent=sent)


def send_link(email: str, url: str, reset: bool) -> bool:
    subject = ("Secured Platform on Cooperation — set up a new authenticator / "
               "Plateforme sécurisée de coopération — nouvelle application d’authentification"
               if reset else
               "Secured Platform on Cooperation — your invitation / "
               "Plateforme sécurisée de coopération — votre invitation")
    with force_locale("en"):
        english = str(_l("Open this single-use link within 72 hours to set up your access:"))
    with force_locale("fr"):
        french = str(_l("Open this single-use link within 72 hours to set up your access:"))
    body = f"{english}\n{url}\n\n{french}\n{url}\n"
    try:
        mail.queue(db.session(), mail.Mail(email, subject, body))
        db.session.commit()
    except Exception:  # the invitation stands; the admin is told to pass the link on
        db.session.rollback()
        current_app.logger.exception("could not queue the e-mail of an invitation link")
        return False
    return True


def _user_or_404(public_id: str):
    try:
        return accounts.get_user(public_id)
    except DomainError:
        abort(404)


@bp.get("/users/<pid:public_id>")
def user(public_id: str):
    return render_template("admin/user.html", user=_user_or_404(public_id), form=ConfirmForm(),
                           organs=COURT_ORGAN_LABELS)


@bp.post("/users/<pid:public_id>/organ")
def user_organ(public_id: str):
    """Which organ of the Court a Court account acts for (its guidance is that organ's)."""
    target = _user_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.set_court_organ(target, request.form.get("organ", ""), _actor())
    except DomainError as error:
        flash(str(error.message), "error")
        return render_template("admin/user.html", user=target, form=ConfirmForm(),
                               organs=COURT_ORGAN_LABELS), error.status_code
    flash(_l("The organ of the Court was saved."), "success")
    return redirect(url_for("admin.user", public_id=public_id)), 303


CONFIRMED_ACTIONS = ("reset-2fa", "disable")


@bp.post("/users/<pid:public_id>/<action>")
def user_action(public_id: str, action: str):
    target = _user_or_404(public_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if action in CONFIRMED_ACTIONS and not request.form.get("confirmed"):
        # A second page, without JavaScript, before what locks a person out.
        return render_template("admin/confirm.html", target=target, action=action, form=form)
    try:
        if action == "reset-2fa":
            url = accounts.reset_second_factor(target, _actor())
            return _invited_page(target, url, reset=True)
        if action == "disable":
            accounts.disable(target, _actor())
            flash(_l("The account was disabled and its sessions ended."), "success")
        elif action == "enable":
            accounts.enable(target, _actor())
            flash(_l("The account was enabled."), "success")
        elif action == "unlock":
            accounts.unlock(target, _actor())
            flash(_l("The account was unlocked."), "success")
        elif action == "reinvite":
            _, url = invitations.invite(target.email, target.role,
                                        target.state.iso3 if target.state else None, _actor())
            return _invited_page(target, url)
        else:
            abort(404)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin.user", public_id=public_id)), 303
    return redirect(url_for("admin.user", public_id=public_id)), 303


# -- States -----------------------------------------------------------------------------------
@bp.get("/states")
def states_list():
    args = request.args
    rows = states.list_states(group=args.get("group", ""), query=args.get("q", "")[:100],
                              active=args.get("active", ""))
    return render_template("admin/states.html", states=rows, groups=REGIONAL_GROUPS, args=args,
                           form=ConfirmForm())


def _state_or_404(iso3: str):
    try:
        return states.get_state(iso3[:3])
    except DomainError:
        abort(404)


@bp.route("/states/<iso3>", methods=["GET", "POST"])
def state_edit(iso3: str):
    state = _state_or_404(iso3)
    form = StateForm(obj=state)
    status = 200
    if form.validate_on_submit():
        try:
            states.update_state(state, _actor(), name=form.name.data,
                                name_fr=form.name_fr.data or "", name_es=form.name_es.data or "",
                                regional_group=form.regional_group.data,
                                status=form.status.data, note=form.note.data or "")
        except DomainError as error:
            status = attach_error(form, error)
        else:
            flash(_l("The State was saved."), "success")
            return redirect(url_for("admin.states_list")), 303
    return render_template("admin/state_edit.html", state=state, form=form,
                           toggle_form=ConfirmForm()), max(status, status_for(form))


@bp.post("/states/<iso3>/<action>")
def state_toggle(iso3: str, action: str):
    if action not in ("activate", "deactivate"):
        abort(404)
    state = _state_or_404(iso3)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        states.set_active(state, action == "activate", _actor())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_l("The State is now active.") if state.active else
              _l("The State is now inactive: its users can no longer sign in."), "success")
    return redirect(url_for("admin.state_edit", iso3=state.iso3)), 303
