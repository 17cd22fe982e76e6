"""Snippets as the pages show them: escaped text with only <mark> around the words that
matched, found in the opened texts by the index's own analysis (both backends)."""

from __future__ import annotations

from markupsafe import Markup, escape

from coop_platform.search.analysis import match_spans

SNIPPET_CHARS = 240
MARK = Markup("<mark>{}</mark>")


def marked(text: str, spans: list[tuple[int, int]], whole: bool = False) -> Markup:
    """A window of `text` around the first match (with `whole`, all of it: a title);
    escaped, with only <mark> added."""
    spans = sorted(set(spans))
    if whole:
        start, end = 0, len(text)
    elif not spans:
        cut = text[:SNIPPET_CHARS]
        return escape(cut + ("…" if len(text) > len(cut) else ""))
    else:
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


def snippets(texts: list[tuple[str, str]], words: list[str]) -> list[Markup]:
    """Each (text, language) cut around its first match, escaped, with matches marked."""
    return [marked(t, match_spans(t, words, lang)) for t, lang in texts]
