"""Typed answer values: read from form fields, checked, stored as JSON, shown as text.

A value is None when the question is not answered. Closed questions hold option codes (a
string, or a sorted list for multiple choice) so they can be counted and filtered; the other
types hold plain strings and dicts. Every limit below is a refusal with a message, never a
truncation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import ValidationFailed
from coop_platform.questionnaires.models import CONTENT_LANGUAGES, Question

MAX_SHORT, MAX_LONG, MAX_REMARKS = 300, 20000, 5000
# Without a bound of its own, a number is at most a trillion: 10^20 is a typing error.
DEFAULT_MAX_NUMBER = Decimal(10) ** 12
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
PHONE = re.compile(r"^\+?[0-9 ()./-]{4,40}$")
# ASCII digits only: Decimal() also reads "١" or "１" as 1, a number nobody typed as such.
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# A web address as RFC 3986 writes it: ASCII, these characters only, a percent sign always
# followed by two hex digits (a quote or a space in an address is not one, even escaped).
URL_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
LEGAL_PARTS = ("instrument", "article", "url", "since")
CONTACT_PARTS = ("authority", "position", "email", "phone", "languages")
# The parts of a contact answer that reach the person rather than the office, and the mark
# of a value read without them (services/contacts.py decides who reads them).
PERSONAL_PARTS = ("email", "phone")
WITHHELD = "withheld"
WITHHELD_TEXT = _l("e-mail and phone listed with the Secretariat only")


@dataclass
class Entry:
    """What a focal point typed for one question."""

    value: object
    remarks: str
    language: str
    secretariat_only: bool

    def same_as(self, revision) -> bool:
        if revision is None:
            return self.value is None and not self.remarks and not self.secretariat_only
        return (self.value == revision.value and self.remarks == revision.remarks
                and self.language == revision.language
                and self.secretariat_only == revision.secretariat_only)


class AnswerInvalid(ValidationFailed):
    """One question's input is refused; `field` names the form field."""


def _text(raw: str, limit: int, field: str) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise AnswerInvalid(_l("At most %(n)d characters (this has %(m)d).", n=limit,
                               m=len(text)), field=field)
    return text


def _date(raw: str, field: str) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not EARLIEST <= value <= LATEST:
        raise AnswerInvalid(_l("Write a date as YYYY-MM-DD, between 1900 and 2999."),
                            field=field)
    return value.isoformat()


def _url(raw: str, field: str) -> str:
    url = _text(raw, 500, field)
    if not url:
        return ""
    if not _well_formed(url):
        raise AnswerInvalid(_l("Give a full web address starting with https://."), field=field)
    return url


def _well_formed(url: str) -> bool:
    """An http(s) address with a host name and nothing a browser would have to repair: no
    user name before the host (https://gov.example@elsewhere), labels of a DNS name."""
    if not URL_CHARS.fullmatch(url):
        return False
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - reading it checks it (ValueError when not a number)
    except ValueError:
        return False
    host = parts.hostname or ""
    return (parts.scheme.lower() in ("https", "http") and "@" not in parts.netloc
            and 0 < len(host) <= 253
            and all(HOST_LABEL.fullmatch(label) for label in host.split(".")))


def decimal_of(raw: str) -> Decimal | None:
    """A finite number as typed (spaces as thousands separators, comma or point as the
    decimal mark); None if it is not one. Empty input is the caller's to handle first."""
    plain = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not DECIMAL.fullmatch(plain):
        return None
    try:
        number = Decimal(plain)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _number(raw: str, question: Question, field: str) -> int | float | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    number = decimal_of(raw)
    if number is None:
        raise AnswerInvalid(_l("Write a number, for instance 30 or 2.5."), field=field)
    settings = question.settings
    low = Decimal(str(settings.get("min", 0)))
    high = Decimal(str(settings.get("max", DEFAULT_MAX_NUMBER)))
    if not low <= number <= high:
        raise AnswerInvalid(_l("Give a number between %(low)s and %(high)s.", low=low,
                               high=high), field=field)
    if number != number.quantize(Decimal("0.01")):
        raise AnswerInvalid(_l("Use at most two decimals."), field=field)
    return int(number) if number == number.to_integral_value() else float(number)


# Each question type's parser: (question, form, prefix) -> the typed value, None when left
# empty; AnswerInvalid names the field at fault.
Form = Any
Parser = Callable[[Question, Form, str], Any]


def _one_option(question: Question, form: Form, prefix: str) -> str | None:
    field = f"{prefix}.value"
    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    if raw not in [code for code, _ in question.options]:
        raise AnswerInvalid(_l("Choose one of the listed answers."), field=field)
    return str(raw)


def _options(question: Question, form: Form, prefix: str) -> list[str] | None:
    field = f"{prefix}.value"
    codes = [code for code, _ in question.options]
    chosen = [v for v in form.getlist(field) if v]
    if any(v not in codes for v in chosen):
        raise AnswerInvalid(_l("Choose among the listed answers."), field=field)
    return sorted(set(chosen), key=codes.index) or None


def _text_of(limit: int) -> Parser:
    def parse(_question: Question, form: Form, prefix: str) -> str | None:
        field = f"{prefix}.value"
        return _text(form.get(field, ""), limit, field) or None
    return parse


def _legal_reference(_question: Question, form: Form, prefix: str) -> dict[str, Any] | None:
    value = {
        "instrument": _text(form.get(f"{prefix}.instrument", ""), MAX_SHORT,
                            f"{prefix}.instrument"),
        "article": _text(form.get(f"{prefix}.article", ""), 200, f"{prefix}.article"),
        "url": _url(form.get(f"{prefix}.url", ""), f"{prefix}.url"),
        "since": _date(form.get(f"{prefix}.since", ""), f"{prefix}.since"),
    }
    if not any(value.values()):
        return None
    if not value["instrument"]:
        raise AnswerInvalid(_l("Name the instrument (the act or code)."),
                            field=f"{prefix}.instrument")
    return value


def _contact(_question: Question, form: Form, prefix: str) -> dict[str, str] | None:
    value = {part: _text(form.get(f"{prefix}.{part}", ""), 200, f"{prefix}.{part}")
             for part in CONTACT_PARTS}
    if not any(value.values()):
        return None
    if not value["authority"]:
        raise AnswerInvalid(_l("Name the authority or office."), field=f"{prefix}.authority")
    if value["email"]:
        try:
            value["email"] = validate_email(value["email"],
                                            check_deliverability=False).normalized
        except EmailNotValidError:
            raise AnswerInvalid(_l("Give a valid e-mail address, like name@example.org."),
                                field=f"{prefix}.email") from None
    if value["phone"] and not PHONE.match(value["phone"]):
        raise AnswerInvalid(_l("Write the phone number with digits, spaces and an optional "
                               "leading +."), field=f"{prefix}.phone")
    return value


PARSERS: dict[str, Parser] = {
    "yes_no": _one_option,
    "yes_partly_no": _one_option,
    "single_choice": _one_option,
    "multiple_choice": _options,
    "short_text": _text_of(MAX_SHORT),
    "long_text": _text_of(MAX_LONG),
    "number": lambda question, form, prefix: _number(form.get(f"{prefix}.value", ""), question,
                                                     f"{prefix}.value"),
    "date": lambda _question, form, prefix: _date(form.get(f"{prefix}.value", ""),
                                                  f"{prefix}.value"),
    "legal_reference": _legal_reference,
    "contact": _contact,
}


def parse_value(question: Question, form: Form, prefix: str) -> Any:
    """The typed value of one question from form fields named `<prefix>.<part>`."""
    parser = PARSERS.get(question.qtype)
    if parser is None:
        raise AnswerInvalid(_l("This question cannot be answered."), field=f"{prefix}.value")
    return parser(question, form, prefix)


def parse_entry(question: Question, form, prefix: str) -> Entry:
    language = form.get(f"{prefix}.language") or "en"
    if language not in CONTENT_LANGUAGES:
        raise AnswerInvalid(_l("Choose one of the listed languages."),
                            field=f"{prefix}.language")
    return Entry(
        value=parse_value(question, form, prefix),
        remarks=_text(form.get(f"{prefix}.remarks", ""), MAX_REMARKS, f"{prefix}.remarks"),
        language=language,
        secretariat_only=form.get(f"{prefix}.secretariat_only") in ("y", "1", "on"),
    )


def remarks_without_personal(value, remarks: str, replacement: str) -> str:
    """Remarks of a contact answer with the e-mail and phone the answer gives replaced."""
    if not isinstance(value, dict):
        return remarks
    for part in PERSONAL_PARTS:
        found = (value.get(part) or "").strip()
        if found:
            remarks = re.sub(re.escape(found), replacement, remarks, flags=re.IGNORECASE)
    return remarks


def is_shown(question: Question, values: dict[str, object]) -> bool:
    """Whether the display condition holds for these answers (by question key)."""
    if not question.condition_key:
        return True
    return bool(set(codes_of(values.get(question.condition_key)))
                & set(question.condition_values))


def codes_of(value) -> list[str]:
    """The option codes an answer holds (for counting and filtering closed questions)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [str(value)]


def display(question: Question, value) -> str:
    """The value as one line of text in the reader's language ('' when not answered)."""
    if value is None:
        return ""
    if question.qtype in ("yes_no", "yes_partly_no", "single_choice", "multiple_choice"):
        labels = dict(question.options)
        return "; ".join(labels.get(code, code) for code in codes_of(value))
    if question.qtype == "number":
        unit = question.unit
        return f"{value} {unit}".strip()
    if question.qtype == "date":
        return format_date(date.fromisoformat(value), "medium")
    if question.qtype == "legal_reference":
        parts = [value.get("instrument", ""), value.get("article", "")]
        text = ", ".join(p for p in parts if p)
        if value.get("since"):
            text += " — " + str(_l("in force since %(date)s",
                                   date=format_date(date.fromisoformat(value["since"]), "medium")))
        return text
    if question.qtype == "contact":
        parts = [value.get(p, "") for p in CONTACT_PARTS if value.get(p)]
        if value.get(WITHHELD):
            parts.append(str(WITHHELD_TEXT))
        return " · ".join(parts)
    return str(value)
