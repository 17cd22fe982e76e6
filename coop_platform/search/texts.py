"""The words an answer revision or a document offers to search, sorted by language.

Each text is split into buckets: English, French and Spanish (stemmed by the index in that
language) and `other` (only folded). Question labels and option labels go in English and in
French, the interface languages, so a French reader finds an answer through its question's
French label; what a focal point typed goes in the bucket of the content language they gave.
Both backends index the same buckets, so they find the same things.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask_babel import force_locale

from coop_platform.documents.models import DOCUMENT_TYPES, TOPICS
from coop_platform.questionnaires.models import FIXED_OPTIONS, AnswerRevision, Question
from coop_platform.questionnaires.values import (
    CONTACT_PARTS,
    PERSONAL_PARTS,
    remarks_without_personal,
)

STEMMED = ("en", "fr", "es")
INTERFACE = ("en", "fr")


@dataclass
class Buckets:
    en: list[str] = field(default_factory=list)
    fr: list[str] = field(default_factory=list)
    es: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def add(self, language: str, *texts: str) -> None:
        bucket = getattr(self, language if language in STEMMED else "other")
        bucket.extend(t for t in texts if t)

    def joined(self, language: str) -> str:
        return "\n".join(getattr(self, language))

    def everything(self) -> str:
        return "\n".join(self.en + self.fr + self.es + self.other)


def _option_labels(question: Question, codes: list[str], language: str) -> list[str]:
    if question.qtype in FIXED_OPTIONS:
        with force_locale(language):
            labels = {code: str(label) for code, label in FIXED_OPTIONS[question.qtype]}
    else:
        labels = {o["code"]: o.get(language) or o.get("en", "")
                  for o in json.loads(question.options_json)}
    return [labels.get(code, "") for code in codes]


def typed_text(question: Question, value) -> list[str]:
    """What the focal point typed (not option labels), as plain strings. A contact's e-mail
    and phone are never indexed: a person who took their listing out of the directory must
    not be found by their address, and no reader needs search to find an address (the
    directory lists them)."""
    if value is None or question.is_closed:
        return []
    if isinstance(value, dict):
        parts = ([p for p in CONTACT_PARTS if p not in PERSONAL_PARTS]
                 if question.qtype == "contact" else ["instrument", "article", "url", "since"])
        return [str(value.get(p, "")) for p in parts if value.get(p)]
    return [str(value)]


def answer_buckets(question: Question, revision: AnswerRevision,
                   section_titles: tuple[str, str]) -> Buckets:
    buckets = Buckets()
    value = revision.value
    codes = [] if value is None else (list(value) if isinstance(value, list) else [str(value)])
    settings = question.settings
    for language in INTERFACE:
        buckets.add(language, getattr(question, f"text_{language}"),
                    section_titles[INTERFACE.index(language)])
        if question.is_closed:
            buckets.add(language, *_option_labels(question, codes, language))
        elif question.qtype == "number" and value is not None:
            buckets.add(language, settings.get(f"unit_{language}", ""))
    buckets.add(revision.language, *typed_text(question, value),
                remarks_without_personal(value, revision.remarks, " ")
                if question.qtype == "contact" else revision.remarks)
    return buckets


def document_buckets(title: str, summary: str, language: str, document_type: str,
                     topics: list[str], file_text: str = "") -> Buckets:
    buckets = Buckets()
    buckets.add(language, title, summary, file_text)
    for interface in INTERFACE:
        with force_locale(interface):
            buckets.add(interface, str(DOCUMENT_TYPES.get(document_type, "")),
                        *(str(TOPICS[t]) for t in topics if t in TOPICS))
    return buckets
