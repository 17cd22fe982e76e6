"""Secrets that travel in URLs (invitation and re-enrolment tokens, and any later one) never
reach the audit trail, a log line, a flash message or a notification raw.

A route declares a secret by naming its argument in SECRET_URL_ARGS. Wherever a path is
recorded, `recordable_path()` gives the route's rule with each secret replaced by a short
fingerprint (enough to tell two links apart in an investigation, useless to open one); the
access-log filter rewrites the same segments in every werkzeug log line.
"""

from __future__ import annotations

import hashlib
import logging
import re

from flask import Flask, request

SECRET_URL_ARGS = frozenset({"token"})
_ARG = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


def fingerprint(secret: str) -> str:
    return "[sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8] + "]"


def recordable_path() -> str:
    """The current request's path, safe to store: secrets replaced by their fingerprint.
    A request that matched no route is recorded as such (its path may hold anything)."""
    rule = request.url_rule
    if rule is None:
        return "(no matching route)"
    values = request.view_args or {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = str(values.get(name, ""))
        return fingerprint(value) if name in SECRET_URL_ARGS else value

    return _ARG.sub(substitute, rule.rule)[:200]


class RedactSecretPaths(logging.Filter):
    """Rewrite secret URL segments in log records (werkzeug's access log prints the path)."""

    def __init__(self) -> None:
        super().__init__()
        self.patterns: list[re.Pattern[str]] = []

    def learn(self, app: Flask) -> None:
        """One pattern per rule that carries a secret; its secret arguments are groups."""
        self.patterns = []
        for rule in app.url_map.iter_rules():
            if not SECRET_URL_ARGS & set(rule.arguments):
                continue
            pieces, last = [], 0
            for match in _ARG.finditer(rule.rule):
                pieces.append(re.escape(rule.rule[last:match.start()]))
                secret = match.group(1) in SECRET_URL_ARGS
                pieces.append(r"([^/?#\s\"]+)" if secret else r"[^/?#\s\"]+")
                last = match.end()
            pieces.append(re.escape(rule.rule[last:]))
            self.patterns.append(re.compile("".join(pieces)))

    def _clean(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub(_redact_groups, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._clean(a) if isinstance(a, str) else a for a in args)
        record.msg = self._clean(str(record.msg))
        return True


def _redact_groups(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start()
    for index in range(len(match.groups()), 0, -1):  # from the right: offsets stay valid
        a, b = match.span(index)
        text = text[:a - start] + fingerprint(match.group(index)) + text[b - start:]
    return text
