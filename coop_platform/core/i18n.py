"""Locale choice: the signed-in user's saved language, else the cookie, else the browser."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_login import current_user

LANGUAGE_COOKIE = "spc_lang"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def select_locale() -> str | None:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]
