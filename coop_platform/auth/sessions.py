"""Sessions: login required by default, generation check, idle and absolute timeouts.

The session cookie is signed (not readable server state), so "rotating the session id" means
clearing it and issuing a new one with a fresh random id at login. The user id in the cookie
carries the user's session generation: logout, password change, 2FA reset and disable bump it,
and every older cookie stops loading a user at its next request.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.core.security import safe_local_path
from coop_platform.extensions import db, login_manager

PUBLIC_ENDPOINTS = frozenset({
    "static",
    "core.healthz",
    "core.readyz",
    "core.metrics",
    "auth.set_language",
    "auth.login",
    "auth.second_factor",
    "auth.invitation",
    "auth.logout",
})
PRE_AUTH_SECONDS = 300


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # generation + timeouts do this job

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        public_id, _, generation = user_id.partition(":")
        user = db.session.scalars(select(User).where(User.public_id == public_id)).one_or_none()
        if user is None or str(user.session_generation) != generation or not user.is_active:
            return None
        return user

    @app.before_request
    def _guard():
        if not current_app.secret_key and request.endpoint not in (
                "static", "core.healthz", "core.readyz", "core.metrics"):
            abort(503)  # keys not initialised: no session can be signed
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if current_user.is_authenticated:
            expired = _expired()
            if expired is None:
                session["seen_at"] = _ts(utcnow())
                return None
            logout_user()
            session.clear()
            flash(str(expired), "info")
        elif session.get("_user_id"):
            # The cookie named a user whose generation moved on, or who may no longer sign in.
            session.clear()
            flash(_l("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("auth.login", next=_safe_next()))


def _ts(value: datetime) -> float:
    return value.timestamp()


def _expired() -> object | None:
    now = _ts(utcnow())
    cfg = current_app.config
    if now - session.get("login_at", 0) > cfg["SESSION_ABSOLUTE_TIMEOUT"].total_seconds():
        return _l("Your session reached its maximum length. Please sign in again.")
    if now - session.get("seen_at", 0) > cfg["SESSION_IDLE_TIMEOUT"].total_seconds():
        return _l("Your session expired after a period of inactivity. Please sign in again.")
    return None


def _safe_next() -> str | None:
    if request.method != "GET":
        return None
    path = request.full_path.rstrip("?")
    return safe_local_path(path)


def begin_pre_auth(user: User, next_url: str | None) -> None:
    """After the password step: remember who is half-way in, for a few minutes only."""
    session.clear()
    session["pre_auth"] = {"uid": user.public_id, "gen": user.session_generation,
                           "at": _ts(utcnow())}
    if safe_local_path(next_url):
        session["next"] = next_url


def pre_auth_user() -> User | None:
    data = session.get("pre_auth")
    if not isinstance(data, dict) or _ts(utcnow()) - data.get("at", 0) > PRE_AUTH_SECONDS:
        return None
    user = db.session.scalars(select(User).where(User.public_id == data.get("uid"))).one_or_none()
    if user is None or user.session_generation != data.get("gen"):
        return None
    return user


def start_session(user: User) -> str | None:
    """Both factors passed: a brand-new session cookie. Returns where to go next."""
    next_url = session.get("next")
    session.clear()
    session.permanent = True
    login_user(user)
    now = _ts(utcnow())
    session["sid"] = secrets.token_urlsafe(16)
    session["login_at"] = now
    session["seen_at"] = now
    session["mfa_at"] = now
    session["state_iso3"] = user.state.iso3 if user.state else None  # for the request log
    return safe_local_path(next_url)


def refresh_identity(user: User) -> None:
    """After a change that bumped the generation, keep this (proven) session alive."""
    login_user(user)
    session["mfa_at"] = _ts(utcnow())


def touch() -> None:
    """Activity now: a long upload counts as activity, so it is not lost to the idle timeout."""
    session["seen_at"] = _ts(utcnow())


def mark_step_up() -> None:
    session["mfa_at"] = _ts(utcnow())


def step_up_fresh() -> bool:
    window = current_app.config["STEP_UP_WINDOW"].total_seconds()
    return _ts(utcnow()) - session.get("mfa_at", 0) <= window


def end_session() -> None:
    logout_user()
    session.clear()
