"""Answer forms: one section's questions, each as fields named `<key>.<part>`.

The fields depend on the questions, so they are read here from the request rather than
declared as WTForms fields; the CSRF token and the refusal of repeated single-valued fields
work as everywhere else."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from coop_platform.core.forms import PlatformForm
from coop_platform.core.params import whole_number
from coop_platform.questionnaires.models import Question
from coop_platform.questionnaires.services.answering import Change
from coop_platform.questionnaires.values import AnswerInvalid, parse_entry


class AnswersForm(PlatformForm):
    """The CSRF token of a section's answers; the answers themselves are read by
    read_changes()."""


def read_changes(questions: list[Question], form) -> tuple[list[Change], dict[str, str]]:
    """The entries of the questions present in the form, and errors by field name."""
    changes, errors = [], {}
    for question in questions:
        prefix = question.key
        base_raw = form.get(f"{prefix}.base")
        if base_raw is None:
            continue  # not on this page
        repeated = [name for name in form if name.startswith(prefix + ".")
                    and name != f"{prefix}.value" and len(form.getlist(name)) > 1]
        if question.qtype != "multiple_choice" and len(form.getlist(f"{prefix}.value")) > 1:
            repeated.append(f"{prefix}.value")
        if repeated:
            errors[repeated[0]] = _l("This field was sent more than once.")
            continue
        base = whole_number(base_raw, 0, 999_999_999)
        if base is None:
            errors[f"{prefix}.value"] = _l("The page was out of date: reload it and try again.")
            continue
        try:
            entry = parse_entry(question, form, prefix)
        except AnswerInvalid as error:
            errors[error.details["field"]] = error.message
            continue
        changes.append(Change(question, entry, base))
    return changes, errors


class QuestionForm(PlatformForm):
    """A draft version's question; the limits and the options' syntax are the editing
    service's (its refusals come back on the fields)."""

    text_en = TextAreaField(_l("Question in English"))
    text_fr = TextAreaField(_l("Question in French"))
    help_en = TextAreaField(_l("Help in English"))
    help_fr = TextAreaField(_l("Help in French"))
    required = BooleanField(_l("An answer is required to submit"))
    comparable = BooleanField(_l("Shown in comparisons between States"))
    options = TextAreaField(_l("Options, one a line: code | English | French"))
    unit_en = StringField(_l("Unit in English"))
    unit_fr = StringField(_l("Unit in French"))
    minimum = StringField(_l("Smallest accepted number"))
    maximum = StringField(_l("Largest accepted number"))
    condition_key = StringField(_l("Shown only when the answer to question (key)"))
    condition_values = StringField(_l("is one of (codes, separated by commas)"))


class NewQuestionForm(PlatformForm):
    section = SelectField(_l("Section"), choices=[])
    number = StringField(_l("Number in the section"))
    qtype = SelectField(_l("Type"), choices=[])
    text_en = TextAreaField(_l("Question in English"))
    text_fr = TextAreaField(_l("Question in French"))
