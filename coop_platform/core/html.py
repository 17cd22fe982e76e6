"""HTML written in Python where a template loop was the page's cost."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from markupsafe import Markup


def option_tags(pairs: Iterable[tuple[object, str]], current: object) -> Markup:
    """`<option>`s for (value, label) pairs, the one whose value is `current` selected.

    A filter of every State is 125 options on every list page: as a Jinja loop, each option
    went through the template runtime and two Markup objects, about a tenth of the page."""
    chosen = "" if current is None else str(current)
    return Markup("").join(
        _SELECTED % (value, label) if str(value) == chosen else _OPTION % (value, label)
        for value, label in pairs)


# Markup's % escapes each value put in.
_OPTION = Markup('<option value="%s">%s</option>')
_SELECTED = Markup('<option value="%s" selected>%s</option>')


@lru_cache(maxsize=64)
def state_option_tags(states: tuple[Any, ...], current: object, by: str, withdrawn: str
                      ) -> Markup:
    """The options of a States filter: valued by `by` (iso3 or id), a withdrawn State named
    so. Kept for each set of States, choice and language: the same 125 options are on every
    list page, and writing them was a sixth of the page."""
    return option_tags(((getattr(s, by), s.display_name if s.active
                         else f"{s.display_name} — {withdrawn}") for s in states), current)
