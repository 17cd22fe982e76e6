"""Template mistakes that no page test notices: markup inside <title> is shown as text in the
browser's tab (two pages loaded their script there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TITLE = re.compile(r"{%\s*block title\s*%}(.*?){%\s*endblock\s*%}", re.S)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_page_titles_hold_no_markup(path):
    for title in TITLE.findall(path.read_text(encoding="utf-8")):
        assert "<" not in title, f"{path.name}: markup in the title block: {title.strip()}"
