"""Locale choice: the signed-in user's saved language, else the cookie, else the browser."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel import dates
from flask import current_app, has_request_context, request
from flask_babel import get_locale
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
    return _when_in(as_utc(value), str(get_locale() or "en"), seconds)


# A list page writes a moment per row, and Babel reads the locale's patterns again for each:
# a page's moments recur from one request to the next, so they are kept, per language.
@lru_cache(maxsize=8192)
def _when_in(moment: datetime, locale: str, seconds: bool) -> str:
    time = dates.format_time(moment, "HH:mm:ss" if seconds else "HH:mm", tzinfo=dates.UTC,
                             locale=locale)
    return f"{dates.format_date(moment, 'medium', locale=locale)} {time}"


_LABELS: dict[tuple[int, str], tuple[Mapping[str, Any], dict[str, str]]] = {}


def labels_in(mapping: Mapping[str, Any]) -> dict[str, str]:
    """A module's table of translatable labels read in the interface's language, once per
    language: a list looked each label up in the catalogue again, in every cell and option."""
    locale = str(get_locale() or "en")
    kept = _LABELS.get((id(mapping), locale))
    if kept is None or kept[0] is not mapping:  # an id is only unique while its object lives
        kept = (mapping, {key: str(label) for key, label in mapping.items()})
        _LABELS[(id(mapping), locale)] = kept
    return kept[1]
