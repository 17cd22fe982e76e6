"""Query parameters read one way everywhere: a number out of range is a 400 with a message,
never a value handed to the database (10^20 overflowed SQLite and PostgreSQL: a 500)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BaseConverter

from coop_platform.core.exceptions import ValidationFailed

MAX_PAGE = 100_000
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """The whole number `raw` spells in ASCII digits, within [low, high]; None otherwise.

    Every number a form or a query accepts is read here: str.isdigit() alone also takes
    "²", "١" or "１", which int() then refuses or reads (a 500, or a number nobody typed)."""
    # Length first: int() of thousands of digits is slow, and refused by Python past 4300.
    if not raw or len(raw) > len(str(high)) or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def page_number(args: MultiDict[str, str]) -> int:
    raw = args.get("page", "")
    if raw == "":
        return 1
    value = whole_number(raw, 1, MAX_PAGE)
    if value is None:
        raise ValidationFailed(_l("The page number must be a whole number from 1 to "
                                  "%(max)d.", max=MAX_PAGE))
    return value


def bounded_int(args: MultiDict[str, str], name: str, low: int, high: int) -> int | None:
    """An optional whole number within [low, high]; None when absent."""
    raw = args.get(name, "")
    if raw == "":
        return None
    value = whole_number(raw, low, high)
    if value is None:
        raise ValidationFailed(_l("Check the filters: %(name)s must be a whole number from "
                                  "%(low)d to %(high)d.", name=name, low=low, high=high))
    return value


def iso_date(args: MultiDict[str, str], name: str) -> date | None:
    raw = args.get(name, "")
    if raw == "":
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        raise ValidationFailed(_l("Check the filters: dates are written YYYY-MM-DD, between "
                                  "1900 and 2999."))
    return value


class PublicIdConverter(BaseConverter):
    """`<pid:name>`: a public identifier (a UUID) and nothing else; anything more or less in
    the address is a 404 from the router, never an id cut to length."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> str:
        return value.lower()
