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
    # Babel skips folders starting with "_" by default: templates/_macros must count too.
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_string_has_a_french_translation():
    with (ROOT / "coop_platform/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    # A plural entry is keyed by its singular; every one of its forms must be translated.
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}
    ids = extracted_ids()
    assert len(ids) > 200

    def done(message) -> bool:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        return all(forms)

    missing = sorted(i for i in ids if i not in translated or not done(translated[i]))
    fuzzy = sorted(i for i in ids if i in translated and translated[i].fuzzy)
    assert not missing, f"untranslated: {missing[:10]} (run `make extract-messages`)"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_placeholders_survive_translation():
    with (ROOT / "coop_platform/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(placeholder.findall(ids[-1]))
        for string in strings:
            if string:
                assert sorted(placeholder.findall(string)) == expected, message.id


def test_french_punctuation_has_its_space():
    """French typography: a space (no-break) before ; : ? ! and inside « »."""
    import re

    with (ROOT / "coop_platform/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    tight = re.compile(r"[^\s\u00a0\u202f\d/][;?!:](?=\s|$|»)|«[^\u00a0]|[^\u00a0]»")
    wrong = []
    for message in catalog:
        if not message.id:
            continue  # the catalogue's header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wrong += [s for s in strings if s and tight.search(s)]
    assert wrong == [], wrong[:5]
