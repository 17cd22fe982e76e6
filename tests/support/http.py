"""A person's browser without the browser: a requests session that signs in over real HTTP."""

from __future__ import annotations

import re

import requests

from tests.support.rfc6238 import code_for

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class HttpUser:
    def __init__(self, base: str, account) -> None:
        self.base = base
        self.account = account
        self.http = requests.Session()

    def token(self, path: str) -> str:
        page = self.http.get(self.base + path, timeout=30)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def post(self, path: str, data: dict, token_path: str | None = None, **kw):
        data = {"csrf_token": self.token(token_path or path), **data}
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=60,
                              **kw)

    def sign_in(self, offset_steps: int = 0) -> HttpUser:
        first = self.post("/auth/login", {"email": self.account.email,
                                          "password": self.account.password})
        assert first.status_code == 302, first.text
        second = self.post("/auth/second-factor",
                           {"code": code_for(self.account.secret, offset_steps=offset_steps)})
        assert second.status_code == 302, second.text
        return self

    def get(self, path: str, **kw):
        return self.http.get(self.base + path, allow_redirects=False, timeout=60, **kw)
