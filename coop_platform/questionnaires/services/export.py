"""Exports of what the reader may see, as CSV or XLSX: the comparison of one question, the
grid, one State's response and the whole questionnaire.

The answers come from the reading service, hence from the one visibility rule; an export
never holds an answer its reader could not open on a page. Each export is audited before a
byte leaves, with its source, filters, layout and size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop_platform.audit.services import record
from coop_platform.auth.models import ROLES, User
from coop_platform.core.clock import as_utc, utcnow
from coop_platform.core.spreadsheets import Sheet, csv_bytes, xlsx_bytes
from coop_platform.extensions import db
from coop_platform.questionnaires.models import (
    CONTENT_LANGUAGES,
    QUESTION_TYPES,
    RESPONSE_STATUSES,
    Question,
    Questionnaire,
)
from coop_platform.questionnaires.services import reading
from coop_platform.questionnaires.services.reading import Cell
from coop_platform.questionnaires.services.summary import summary_sheet
from coop_platform.questionnaires.services.visibility import sees_everything
from coop_platform.questionnaires.values import CONTACT_PARTS, LEGAL_PARTS, codes_of, display
from coop_platform.states.models import State

# Werkzeug adds "; charset=utf-8" to a text type itself (naming it here sent it twice).
FORMATS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LAYOUTS = ("long", "wide")
# CSV holds one table per file: the answers, or the codebook, or the metadata.
CSV_PARTS = ("answers", "codebook", "metadata")
SOURCES = {"comparison": _l("Comparison of one question"), "grid": _l("Grid of questions"),
           "response": _l("Response of one State"), "questionnaire": _l("Whole questionnaire")}


@dataclass
class Extract:
    """What one export holds: the questions (columns of the wide layout, the codebook) and,
    per State, the cells the reader sees; each State's response status as the reader may
    know it (reading.response_statuses)."""

    questionnaire: Questionnaire
    source: str
    filters: dict[str, str]
    questions: list[Question]
    rows: list[tuple[State, list[Cell]]] = field(default_factory=list)
    statuses: dict[int, str] = field(default_factory=dict)
    every_state: bool = False  # keep the States without a visible answer (rows of blanks)

    @property
    def written(self) -> list[tuple[State, list[Cell]]]:
        """The rows the answers sheet holds: by default only States with a visible answer
        (the summary still counts the others as not answered)."""
        if self.every_state:
            return self.rows
        return [(state, cells) for state, cells in self.rows if any(c.answered for c in cells)]


# What a row says of a State without a response status the reader may know.
STATUS_WORDS = {"none": _l("No response"), "unaccepted": _l("No accepted answers")}


def _statuses(user: User, questionnaire: Questionnaire) -> dict[int, str]:
    """{State id: status}: as reading.response_statuses, and "none" where the reader would
    know of a response (the Secretariat; a focal point for its own State). A State missing
    is one whose answers the reader does not have: "unaccepted"."""
    known = reading.response_statuses(user, questionnaire)
    if sees_everything(user):
        return {state.id: known.get(state.id, "none") for state in reading.states_for(user)}
    if user.state_id is not None:
        known.setdefault(user.state_id, "none")
    return known


def of_comparison(user: User, questionnaire: Questionnaire, key: str,
                  flt: reading.ComparisonFilter, every_state: bool = False) -> Extract:
    comparison = reading.compare(user, questionnaire, key, flt)
    return Extract(questionnaire, "comparison",
                   {"question": key, "group": flt.group, "answer": flt.value},
                   [comparison.question], [(c.state, [c]) for c in comparison.cells],
                   _statuses(user, questionnaire), every_state)


def of_grid(user: User, questionnaire: Questionnaire, keys: list[str], group: str,
            every_state: bool = False) -> Extract:
    questions, rows = reading.grid(user, questionnaire, keys, group)
    return Extract(questionnaire, "grid", {"questions": " ".join(q.key for q in questions),
                                           "group": group}, questions, rows,
                   _statuses(user, questionnaire), every_state)


def of_questionnaire(user: User, questionnaire: Questionnaire, group: str,
                     every_state: bool = False) -> Extract:
    questions, rows = reading.grid(user, questionnaire,
                                   [q.key for q in questionnaire.questions], group)
    return Extract(questionnaire, "questionnaire", {"group": group}, questions, rows,
                   _statuses(user, questionnaire), every_state)


def of_response(user: User, questionnaire: Questionnaire, state: State) -> Extract:
    """The questions shown for this State's answers (display conditions applied); its one
    row is written even without an answer (the reader asked for this State)."""
    cells = [c for _, part in reading.state_response(user, questionnaire, state) for c in part]
    return Extract(questionnaire, "response", {"state": state.iso3},
                   [c.question for c in cells], [(state, cells)],
                   _statuses(user, questionnaire), every_state=True)


# -- tables ------------------------------------------------------------------------------------
def _codes(cell: Cell) -> Any:
    """The machine-readable value: option codes of closed questions, the number of numbers,
    the date of dates (compound answers have their own columns: _parts)."""
    if cell.value is None:
        return ""
    if cell.question.is_closed:
        return ";".join(codes_of(cell.value))
    if cell.question.qtype == "number":
        return cell.value
    if cell.question.qtype == "date":
        return date.fromisoformat(cell.value)
    return ""


# The parts of compound answers, each in a named column (in this order).
PARTS = {"legal_reference": LEGAL_PARTS, "contact": CONTACT_PARTS}
PART_LABELS = {"instrument": _l("Instrument"), "article": _l("Article"),
               "url": _l("Link to the text"), "since": _l("In force since"),
               "authority": _l("Authority or office"), "position": _l("Position"),
               "email": _l("E-mail"), "phone": _l("Phone"), "languages": _l("Languages")}


def _part(value: Any, part: str) -> Any:
    found = value.get(part) if isinstance(value, dict) else None
    if not found:
        return ""
    return date.fromisoformat(found) if part == "since" else found


def _confirmed(cell: Cell) -> date | str:
    return as_utc(cell.revision.confirmed_at).date() if cell.revision else ""


class _Words:
    """The translated words of one export, looked up once rather than once per cell (a full
    export has thousands: per-cell gettext was half its time)."""

    def __init__(self, extract: Extract) -> None:
        self.statuses = extract.statuses
        self.yes, self.no = _("yes"), _("no")
        self.languages = {code: str(label) for code, label in CONTENT_LANGUAGES.items()}
        self._texts: dict[int, str] = {}
        self._closed: dict[tuple[int, tuple[str, ...]], str] = {}
        self._states: dict[int, list[str]] = {}

    def flag(self, value: bool) -> str:
        return str(self.yes if value else self.no)

    def question(self, question: Question) -> str:
        if question.id not in self._texts:
            self._texts[question.id] = question.text
        return self._texts[question.id]

    def value(self, question: Question, value: Any) -> str:
        if not question.is_closed:
            return display(question, value)
        key = (question.id, tuple(codes_of(value)))
        if key not in self._closed:
            self._closed[key] = display(question, value)
        return self._closed[key]

    def state(self, state: State) -> list[str]:
        if state.id not in self._states:
            status = self.statuses.get(state.id, "unaccepted")
            self._states[state.id] = [state.iso3, state.display_name,
                                      state.regional_group_label,
                                      str(STATUS_WORDS.get(status) or RESPONSE_STATUSES[status])]
        return self._states[state.id]


STATE_COLUMNS = (_l("State code"), _l("State"), _l("Regional group"), _l("Response status"))


def _long(extract: Extract) -> Sheet:
    words = _Words(extract)
    parts = [p for qtype in PARTS if any(q.qtype == qtype for q in extract.questions)
             for p in PARTS[qtype]]
    sheet = Sheet(_("Answers"), [
        *map(str, STATE_COLUMNS), _("Question key"), _("Question"), _("Answer"),
        _("Answer codes"), *(str(PART_LABELS[p]) for p in parts), _("Remarks"),
        _("Content language"), _("Last confirmed"), _("Secretariat only")])
    for state, cells in extract.written:
        for cell in cells:
            rev = cell.revision
            own = PARTS.get(cell.question.qtype, ())
            sheet.rows.append(words.state(state) + [
                cell.question.key, words.question(cell.question),
                words.value(cell.question, cell.value), _codes(cell),
                *(_part(cell.value, p) if p in own else "" for p in parts),
                rev.remarks if rev else "",
                words.languages.get(rev.language, rev.language) if rev else "",
                _confirmed(cell), words.flag(rev.secretariat_only) if rev else ""])
    return sheet


def _wide(extract: Extract) -> Sheet:
    words = _Words(extract)
    header = [str(c) for c in STATE_COLUMNS]
    for q in extract.questions:
        header += [q.key, *(f"{q.key} {PART_LABELS[p]}" for p in PARTS.get(q.qtype, ())),
                   _("%(key)s remarks", key=q.key), _("%(key)s last confirmed", key=q.key)]
    sheet = Sheet(_("Answers"), header)
    for state, cells in extract.written:
        by_key = {c.question.key: c for c in cells}
        row: list[object] = list(words.state(state))
        for q in extract.questions:
            cell = by_key.get(q.key)
            parts = PARTS.get(q.qtype, ())
            if cell is None:  # a question not shown for this State's answers
                row += ["", *("" for _p in parts), "", ""]
                continue
            row += [words.value(q, cell.value), *(_part(cell.value, p) for p in parts),
                    cell.revision.remarks if cell.revision else "", _confirmed(cell)]
        sheet.rows.append(row)
    return sheet


def _options(question: Question) -> str:
    """Every option as `code = English / French`."""
    if not question.is_closed:
        return ""
    with force_locale("en"):
        english = question.options
    with force_locale("fr"):
        french = question.options
    return " | ".join(f"{code} = {en} / {fr}"
                      for (code, en), (_code, fr) in zip(english, french, strict=True))


def _codebook(extract: Extract) -> Sheet:
    words = _Words(extract)
    sheet = Sheet(_("Codebook"), [
        _("Question key"), _("Section"), _("Type"), _("Question (English)"),
        _("Question (French)"), _("Options (code = English / French)"), _("Unit"),
        _("Required"), _("Comparable"), _("Shown when")])
    for q in extract.questions:
        settings = q.settings
        unit = " / ".join(u for u in (settings.get("unit_en"), settings.get("unit_fr")) if u)
        condition = (f"{q.condition_key} ∈ {{{', '.join(q.condition_values)}}}"
                     if q.condition_key else "")
        sheet.rows.append([q.key, q.section.code, str(QUESTION_TYPES[q.qtype]), q.text_en,
                           q.text_fr, _options(q), unit, words.flag(q.required),
                           words.flag(q.comparable), condition])
    return sheet


def _metadata(user: User, extract: Extract, layout: str, when: datetime) -> Sheet:
    q = extract.questionnaire
    answered = sum(1 for _s, cells in extract.written for c in cells if c.answered)
    filters = "; ".join(f"{k}={v}" for k, v in extract.filters.items() if v) or _("none")
    sheet = Sheet(_("Metadata"), [_("Field"), _("Value")])
    sheet.rows = [
        [_("Platform"), _("Secured Platform on Cooperation")],
        [_("Exported by"), user.email],
        [_("Role"), str(ROLES.get(user.role, user.role))],
        [_("State of the exporter"), user.state.iso3 if user.state is not None else ""],
        [_("Exported at (UTC)"), when],
        [_("Questionnaire"), f"{q.title_en} / {q.title_fr}"],
        [_("Family and version"), f"{q.family} v{q.version}"],
        [_("Questionnaire status"), q.status_label],
        [_("Source"), str(SOURCES[extract.source])],
        [_("Filters"), filters],
        [_("Layout"), _("long: one row per State and question") if layout == "long"
         else _("wide: one row per State")],
        [_("States"), len(extract.written)],
        [_("States without an answer"),
         _("included, as rows without answers") if extract.every_state
         else _("left out (the summary counts them as not answered)")],
        [_("Questions"), len(extract.questions)],
        [_("Answers given"), answered],
        [_("What this holds"),
         _("Only the answers this user could read on the platform at the time of the export: "
           "accepted answers of other States; for one's own State, the working answers; for "
           "the Secretariat, the answers last submitted, including those marked "
           "“Secretariat only”. Do not pass it on beyond those entitled to read it.")],
    ]
    return sheet


@dataclass
class File:
    name: str
    mimetype: str
    content: bytes


def render(user: User, extract: Extract, fmt: str, layout: str, part: str = "answers") -> File:
    """The file, audited in the caller's transaction before it is returned (the caller
    commits, then sends)."""
    when = as_utc(utcnow())
    answers = _long(extract) if layout == "long" else _wide(extract)
    sheets = {"answers": answers, "codebook": _codebook(extract),
              "metadata": _metadata(user, extract, layout, when)}
    if fmt == "xlsx":
        summary = summary_sheet(extract.questions, extract.rows)
        content = xlsx_bytes([sheets["answers"], *([summary] if summary else []),
                              sheets["codebook"], sheets["metadata"]])
        suffix = "xlsx"
    else:
        content = csv_bytes(sheets[part])
        suffix = "csv" if part == "answers" else f"{part}.csv"
    q = extract.questionnaire
    scope = {"comparison": extract.filters.get("question", ""),
             "response": extract.filters.get("state", "")}.get(extract.source, "")
    name = "-".join(p for p in ("spc", q.family, f"v{q.version}", extract.source,
                                scope.replace(".", "_"), layout,
                                when.strftime("%Y%m%d")) if p) + "." + suffix
    record("questionnaire.exported", actor=user, object_type="questionnaire",
           object_id=q.public_id,
           details={"source": extract.source, "format": fmt, "layout": layout, "part": part,
                    "filters": {k: v for k, v in extract.filters.items() if v},
                    "states": len(extract.written), "questions": len(extract.questions),
                    "every_state": extract.every_state})
    db.session.commit()
    return File(name, FORMATS[fmt], content)


def record_print(user: User, questionnaire: Questionnaire, state: State) -> None:
    """A printable page leaves the platform like a file: audited the same way."""
    record("questionnaire.exported", actor=user, object_type="questionnaire",
           object_id=questionnaire.public_id,
           details={"source": "response", "format": "print", "filters": {"state": state.iso3}})
    db.session.commit()
