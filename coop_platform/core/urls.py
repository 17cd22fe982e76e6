"""Links that leave the platform (e-mails): absolute, on the configured public address
(SPC_PUBLIC_BASE_URL), built from the routes themselves so that a changed route changes them
too — whether a request is being served or a worker sends the mail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
