"""The search language, parsed once for both backends.

    words            all of them (AND is the default)
    "exact phrase"   the words next to each other
    a OR b, NOT a, -a, ( … )
    prefix*          at least three letters before the star; no leading or inner wildcard
    state:FRA  group:WEOG  section:D  question:D.3  topic:freezing  type:legislation  lang:fr

Only these fields exist for users: the index's access fields cannot be named. Nothing here
raises: what cannot be understood is left out and named in `notices`, so the page can say
what was ignored instead of silently finding nothing (or everything).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l

MAX_QUERY_CHARS = 500
MAX_TERMS = 24
MIN_PREFIX = 3
MAX_WORD_CHARS = 64
FIELDS = ("state", "group", "section", "question", "topic", "type", "lang")
GROUPS = ("AFR", "APS", "EEU", "GRULAC", "WEOG")
_WORD = re.compile(r"\w+", re.UNICODE)
_VALUE = {
    "state": re.compile(r"^[A-Za-z]{3}$"),
    "group": re.compile(r"^[A-Za-z]{3,6}$"),
    "section": re.compile(r"^[A-Za-z]{1,2}$"),
    "question": re.compile(r"^[A-Za-z]{1,2}\.\d{1,3}$"),
    "topic": re.compile(r"^[a-z_]{3,32}$"),
    "type": re.compile(r"^[a-z_]{3,16}$"),
    "lang": re.compile(r"^[a-z]{2,5}$"),
}


# -- the tree ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    text: str  # one word, lower-cased, as typed (each backend stems it per language)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    text: str


@dataclass(frozen=True)
class Filter:
    field: str
    value: str


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class Everything:
    """No words: every visible item (narrowed by filters around it)."""


@dataclass
class Parsed:
    tree: object
    notices: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # positive words, for highlighting

    @property
    def is_empty(self) -> bool:
        return isinstance(self.tree, Everything)


# -- tokens --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, op, lparen, rparen, field
    text: str
    negated: bool = False
    field: str = ""


def _clean(raw: str, notices: list[str]) -> str:
    if len(raw) > MAX_QUERY_CHARS:
        notices.append(str(_l("The query was cut to its first %(n)d characters.",
                              n=MAX_QUERY_CHARS)))
        raw = raw[:MAX_QUERY_CHARS]
    cleaned = "".join(ch for ch in raw
                      if ch in " \t" or unicodedata.category(ch)[0] != "C")
    if cleaned != raw:
        notices.append(str(_l("Control characters in the query were ignored.")))
    return unicodedata.normalize("NFC", cleaned)


def _tokens(text: str, notices: list[str]) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(_Tok("lparen" if ch == "(" else "rparen", ch))
            i += 1
            continue
        negated = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated, i = True, i + 1
            ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            if end == -1:
                notices.append(str(_l("A quotation mark was not closed: the phrase runs to "
                                      "the end of the query.")))
                end = n
            tokens.append(_Tok("phrase", text[i + 1:end], negated))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '()"':
            j += 1
        word = text[i:j]
        i = j
        name, sep, value = word.partition(":")
        if sep and name.lower() in FIELDS:
            if not value and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                end = n if end == -1 else end
                value, i = text[i + 1:end], end + 1
            tokens.append(_Tok("field", value, negated, name.lower()))
        elif sep and _WORD.fullmatch(name):
            notices.append(str(_l("“%(name)s:” is not a field you can search by; the known "
                                  "fields are %(fields)s.", name=name,
                                  fields=", ".join(f + ":" for f in FIELDS))))
            tokens.append(_Tok("word", value, negated))
        elif word in ("AND", "OR", "NOT") and not negated:
            tokens.append(_Tok("op", word))
        else:
            tokens.append(_Tok("word", word, negated))
    return tokens


# -- terms ---------------------------------------------------------------------------------
def _term(tok: _Tok, parsed: Parsed, state: dict):
    """The node of one token, or None (with a notice) when it cannot be used."""
    if state["terms"] >= MAX_TERMS:
        if not state["too_many"]:
            parsed.notices.append(str(_l("Only the first %(n)d terms of the query were used.",
                                         n=MAX_TERMS)))
            state["too_many"] = True
        return None
    node = None
    if tok.kind == "field":
        node = _filter(tok, parsed)
    elif tok.kind == "phrase":
        words = tuple(w.lower()[:MAX_WORD_CHARS] for w in _WORD.findall(tok.text))
        node = (Word(words[0]) if len(words) == 1 else Phrase(words)) if words else None
        if not tok.negated:
            parsed.words.extend(words)
    else:
        node = _word(tok, parsed)
    if node is None:
        return None
    state["terms"] += 1
    return Not(node) if tok.negated else node


def _word(tok: _Tok, parsed: Parsed):
    text = tok.text
    if "*" in text or "?" in text:
        stem = text.rstrip("*")
        if "*" in stem or "?" in stem or not stem:
            parsed.notices.append(str(_l("“%(term)s” was ignored: a wildcard can only end a "
                                         "word.", term=text)))
            return None
        words = _WORD.findall(stem)
        if len(words) != 1 or words[0] != stem or len(stem) < MIN_PREFIX:
            parsed.notices.append(str(_l("“%(term)s” was ignored: a prefix needs at least "
                                         "%(n)d letters before the star.", term=text,
                                         n=MIN_PREFIX)))
            return None
        if not tok.negated:
            parsed.words.append(stem.lower())
        return Prefix(stem.lower()[:MAX_WORD_CHARS])
    words = [w.lower()[:MAX_WORD_CHARS] for w in _WORD.findall(text)]
    if not words:
        if text.strip("-+&|!~^{}[]:;,.'`/\\") != "":
            parsed.notices.append(str(_l("“%(term)s” was ignored: it holds no letters or "
                                         "digits.", term=text)))
        return None
    if not tok.negated:
        parsed.words.extend(words)
    return Word(words[0]) if len(words) == 1 else Phrase(tuple(words))


def _filter(tok: _Tok, parsed: Parsed):
    value = tok.text.strip()
    pattern = _VALUE[tok.field]
    if not pattern.match(value):
        parsed.notices.append(str(_l("“%(field)s:%(value)s” was ignored: that is not a value "
                                     "this field takes.", field=tok.field, value=value[:40])))
        return None
    value = value.upper() if tok.field in ("state", "group", "section", "question") else value
    if tok.field == "group" and value not in GROUPS:
        parsed.notices.append(str(_l("“%(field)s:%(value)s” was ignored: the regional groups "
                                     "are %(groups)s.", field=tok.field, value=value,
                                     groups=", ".join(GROUPS))))
        return None
    return Filter(tok.field, value)


# -- structure -----------------------------------------------------------------------------
def parse(raw: str) -> Parsed:
    parsed = Parsed(Everything())
    tokens = _tokens(_clean(raw or "", parsed.notices), parsed.notices)
    state = {"terms": 0, "too_many": False, "pos": 0}
    trees = [_or(tokens, parsed, state, depth=0)]
    while state["pos"] < len(tokens):  # only a stray ')' stops the top level early
        if len(trees) == 1:
            parsed.notices.append(str(_l("A closing parenthesis without an opening one was "
                                         "ignored.")))
        state["pos"] += 1
        trees.append(_or(tokens, parsed, state, depth=0))
    tree = _combine(And, trees)
    parsed.tree = Everything() if tree is None else _positive(tree)
    parsed.notices = list(dict.fromkeys(parsed.notices))
    return parsed


def leaves(node) -> Iterator:
    """Every word, phrase, prefix, filter and Everything of a tree, left to right."""
    if isinstance(node, Not):
        yield from leaves(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from leaves(child)
    else:
        yield node


def _positive(node):
    """Give every negation something to subtract from: NOT a alone, or as a branch of an
    OR, means "everything visible except a"."""
    if isinstance(node, And):
        children = tuple(_positive(c) if not isinstance(c, Not) else Not(_positive(c.child))
                         for c in node.children)
        if all(isinstance(c, Not) for c in children):
            children = (Everything(), *children)
        return And(children)
    if isinstance(node, Or):
        return Or(tuple(_positive(c) for c in node.children))
    if isinstance(node, Not):
        return And((Everything(), Not(_positive(node.child))))
    return node


def _combine(kind, nodes):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else kind(tuple(nodes))


def _or(tokens, parsed, state, depth: int):
    branches = [_and(tokens, parsed, state, depth)]
    while state["pos"] < len(tokens) and tokens[state["pos"]].kind == "op" \
            and tokens[state["pos"]].text == "OR":
        state["pos"] += 1
        branches.append(_and(tokens, parsed, state, depth))
    if len(branches) > 1 and any(b is None for b in branches):
        parsed.notices.append(str(_l("OR needs a term on each side; the empty side was "
                                     "ignored.")))
    return _combine(Or, branches)


def _and(tokens, parsed, state, depth: int):
    items = []
    negate_next = False
    while state["pos"] < len(tokens):
        tok = tokens[state["pos"]]
        if tok.kind == "rparen" or (tok.kind == "op" and tok.text == "OR"):
            break
        state["pos"] += 1
        if tok.kind == "op":
            if tok.text == "NOT":
                negate_next = True
            continue  # AND is the default between terms
        if tok.kind == "lparen":
            if depth >= 8:
                parsed.notices.append(str(_l("Parentheses nested too deep were ignored.")))
                continue
            node = _or(tokens, parsed, state, depth + 1)
            if state["pos"] < len(tokens) and tokens[state["pos"]].kind == "rparen":
                state["pos"] += 1
            else:
                parsed.notices.append(str(_l("A parenthesis was not closed: it closes at the "
                                             "end of the query.")))
        else:
            node = _term(replace(tok, negated=tok.negated != negate_next), parsed, state)
            negate_next = False
        if node is not None and negate_next:
            node = Not(node)
        negate_next = False
        items.append(node)
    return _combine(And, items)
