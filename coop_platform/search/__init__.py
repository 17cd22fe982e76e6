"""Full-text search over questionnaire answers and documents (see backends.py)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from coop_platform.search import changes
    from coop_platform.search.services import text_note

    changes.install()
    app.extensions["spc_search_status"] = lambda: _status(app)
    # The document page (a lower layer) tells why a file's text is not searched.
    app.jinja_env.globals["search_text_note"] = text_note


def _status(app: Flask) -> dict:
    from coop_platform.search import backends

    return backends.backend(app).status(app)
