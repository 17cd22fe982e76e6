"""Every user-facing string has its French translation (DEVELOPERS.md, definition of done 7)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_ids() -> set[str]:
    method_map = [("coop_platform/**.py", "python"), ("config.py", "python"),
                  ("templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_string_has_a_french_translation():
    with (ROOT / "coop_platform/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {m.id: m for m in catalog if m.id}
    ids = extracted_ids()
    assert len(ids) > 200
    missing = sorted(i for i in ids if i not in translated or not translated[i].string)
    fuzzy = sorted(i for i in ids if i in translated and translated[i].fuzzy)
    assert not missing, f"untranslated: {missing[:10]} (run `make extract-messages`)"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_placeholders_survive_translation():
    with (ROOT / "coop_platform/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if message.id and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(
                placeholder.findall(message.string)
            ), message.id
