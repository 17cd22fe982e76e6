"""How text becomes what the index holds, for both backends: words are split, lower-cased,
folded and stemmed per language (Whoosh's Snowball stemmers and stop lists), and each term
then becomes its keyed token (keyed.py). Queries, snippets and "did you mean" go through the
same analysis, so the embedded index and PostgreSQL's find exactly the same things.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh import spelling
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.lang import stemmer_for_language
from whoosh.support.charset import accent_map

from coop_platform.search.keyed import keyed, keyer

LANGS = ("en", "fr", "es")
TEXT_FIELDS = (*LANGS, "all")
PREFIX_CHARS = 16  # a longer prefix is looked up by its first 16 characters
MIN_PREFIX = 3
MAX_WORD = 64  # longer "words" (hashes, glued URLs) are not offered by "did you mean"
WORDS = r"\w+"


@lru_cache(maxsize=200_000)
def stem(lang: str, word: str) -> str:
    return stemmer_for_language(lang)(word)


class StemBothWays(Filter):
    """Each word stemmed as written and then folded, and folded and then stemmed, at one
    position: a stemmer needs the accents ("incautación" -> "incaut"), a reader may type
    without them ("incautacion").
    (Whoosh pickles the schema into the index: only the language is kept here.)"""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __eq__(self, other) -> bool:
        return isinstance(other, StemBothWays) and other.lang == self.lang

    def __hash__(self) -> int:
        return hash(self.lang)

    def __call__(self, tokens):
        for token in tokens:
            if token.stopped:
                yield token
                continue
            written = stem(self.lang, token.text).translate(accent_map)
            folded = stem(self.lang, token.text.translate(accent_map))
            token.text = folded
            yield token
            if written != folded:
                twin = token.copy()
                twin.text = written
                yield twin


class Keyed(Filter):
    """The last step of every analysis: each term becomes its keyed token (keyed.py), so the
    index never holds a word. (Pickled into the index with the schema: the field only, never
    a key.)"""

    def __init__(self, field: str) -> None:
        self.field = field

    def __eq__(self, other) -> bool:
        return isinstance(other, Keyed) and other.field == self.field

    def __hash__(self) -> int:
        return hash(self.field)

    def __call__(self, tokens):
        key = keyer(self.field)
        for token in tokens:
            if not token.stopped:
                token.text = key(token.text)
            yield token


class Prefixes(Filter):
    """Each folded word's leading 3…PREFIX_CHARS characters, at the word's position: what a
    prefix query ("asse*") looks up, since keyed tokens cannot be expanded."""

    def __eq__(self, other) -> bool:
        return isinstance(other, Prefixes)

    def __hash__(self) -> int:
        return hash("prefixes")

    def __call__(self, tokens):
        for token in tokens:
            for prefix in prefixes_of(token.text):
                token.text = prefix
                yield token


def prefixes_of(word: str) -> list[str]:
    """The leading 3…PREFIX_CHARS characters of a folded word: what the index keeps of it
    for prefix queries."""
    return [word[:end] for end in range(MIN_PREFIX, min(len(word), PREFIX_CHARS) + 1)]


def _analyzer(lang: str | None):
    chain = RegexTokenizer(WORDS) | LowercaseFilter()
    if lang is None:
        return chain | CharsetFilter(accent_map)
    return chain | StopFilter(lang=lang) | StemBothWays(lang)


# What the words become before they are keyed: the vocabulary and snippets read these; the
# indexes hold them keyed.
CLEAR_ANALYZERS = {"en": _analyzer("en"), "fr": _analyzer("fr"), "es": _analyzer("es"),
                   "all": _analyzer(None)}
ANALYZERS = {field: analyzer | Keyed(field) for field, analyzer in CLEAR_ANALYZERS.items()}
PREFIX_ANALYZER = CLEAR_ANALYZERS["all"] | Prefixes() | Keyed("prefix")


# -- queries -----------------------------------------------------------------------------------
def word_tokens(field: str, text: str) -> list[str]:
    """The keyed tokens the index holds for `text` in `field`, each once."""
    return list(dict.fromkeys(t.text for t in ANALYZERS[field](text, mode="query")))


def clear_tokens(field: str, text: str) -> list[str]:
    """The same terms before they are keyed (snippets and suggestions work on these)."""
    return [t.text for t in CLEAR_ANALYZERS[field](text, mode="query")]


def phrase_terms(field: str, text: str) -> list[str]:
    """One term per position (the folded-then-stemmed form) for a phrase, not keyed."""
    seen: dict[int, str] = {}
    for token in CLEAR_ANALYZERS[field](text, positions=True, mode="query"):
        if not token.stopped:
            seen.setdefault(token.pos, token.text)
    return [seen[p] for p in sorted(seen)]


def phrase_tokens(field: str, text: str) -> list[str]:
    """The same, keyed as the field's terms are."""
    key = keyer(field)
    return [key(term) for term in phrase_terms(field, text)]


def prefix_token(text: str) -> str | None:
    """The keyed token of a prefix query's leading letters, which the indexes hold beside
    every word it starts (Prefixes)."""
    folded = clear_tokens("all", text)
    return keyed("prefix", folded[0][:PREFIX_CHARS]) if folded else None


# -- the vocabulary ("did you mean") -----------------------------------------------------------
def clear_words(text: str) -> set[str]:
    """The folded words of a text, as the vocabulary keeps them."""
    return {t.text for t in CLEAR_ANALYZERS["all"](text)
            if MIN_PREFIX <= len(t.text) <= MAX_WORD}


def words_near(vocabulary: list[str], word: str) -> list[str]:
    """Words of the (sorted) vocabulary within two edits of `word`, closest in length
    first; callers keep those with a hit the reader may see."""
    folded = clear_tokens("all", word)
    if not folded:
        return []
    corrector = spelling.ListCorrector(vocabulary)
    found = corrector.suggest(folded[0], limit=200, maxdist=2, prefix=1)
    return sorted({w for w in found if w != folded[0]},
                  key=lambda w: (abs(len(w) - len(folded[0])), w))[:20]


# -- snippets ----------------------------------------------------------------------------------
_TOKEN = re.compile(WORDS)


def match_spans(text: str, words: list[str], language: str) -> list[tuple[int, int]]:
    """Where the query's words, as the index analyses them, occur in `text`. Only tokens
    that start like a wanted form are stemmed: a long file costs a regular expression."""
    lang = language if language in LANGS else None
    wanted = set()
    for w in words:
        wanted.update(clear_tokens("all", w))
        if lang:
            wanted.update(clear_tokens(lang, w))
    if not wanted:
        return []
    starts = tuple({w[:3] for w in wanted})
    spans = []
    for match in _TOKEN.finditer(text):
        token = match.group().lower()
        folded = token.translate(accent_map)
        if not folded.startswith(starts):
            continue
        forms = {folded}
        if lang:
            forms |= {stem(lang, token).translate(accent_map), stem(lang, folded)}
        if forms & wanted:
            spans.append((match.start(), match.end()))
    return spans
