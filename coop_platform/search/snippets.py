"""Snippets as the pages show them: escaped text with only <mark> around what matched, from
either a backend's match positions or its markers."""

from __future__ import annotations

from markupsafe import Markup, escape

SNIPPET_CHARS = 240
MARK = Markup("<mark>{}</mark>")


MARK = Markup("<mark>{}</mark>")


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """A window of `text` around the first match; escaped, with only <mark> added."""
    spans = sorted(set(spans))
    if not spans:
        cut = text[:SNIPPET_CHARS]
        return escape(cut + ("…" if len(text) > len(cut) else ""))
    start = max(0, spans[0][0] - SNIPPET_CHARS // 3)
    end = min(len(text), start + SNIPPET_CHARS)
    out, pos = [escape("…" if start else "")], start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out += [escape(text[pos:a]), MARK.format(text[a:b])]
        pos = b
    out.append(escape(text[pos:end] + ("…" if end < len(text) else "")))
    return Markup("").join(out)


def from_markers(text: str) -> Markup:
    """ts_headline's output, with \x02 … \x03 around matches, made safe."""
    out = []
    for i, part in enumerate(text.split("\x02")):
        inside, _, after = part.partition("\x03") if i else ("", "", part)
        if inside:
            out.append(MARK.format(inside))
        out.append(escape(after))
    return Markup("").join(out)

