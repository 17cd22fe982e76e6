"""Locale choice: the signed-in user's saved language, else the cookie, else the browser."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, request
from flask_babel import format_date, format_time
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from coop_platform.core.clock import as_utc

LANGUAGE_COOKIE = "spc_lang"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def select_locale() -> str | None:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line: messages in the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    try:
        user = current_user if current_user and current_user.is_authenticated else None
    except SQLAlchemyError:  # the database is unavailable: the cookie or the browser's choice
        user = None
    if user is not None and user.locale in languages:
        return str(user.locale)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def format_when(value: datetime | None, seconds: bool = False) -> str:
    """One way to write a moment everywhere: the locale's medium date and a 24-hour UTC time
    ("24 Nov 2026 00:38" / "24 nov. 2026 00:38"); an em dash when there is none."""
    if value is None:
        return "—"
    moment = as_utc(value)
    return f"{format_date(moment, 'medium')} {format_time(moment, 'HH:mm:ss' if seconds else 'HH:mm')}"
