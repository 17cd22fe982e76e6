"""Full-text search over questionnaire answers and documents (see backends.py)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from coop_platform.search import changes
    from coop_platform.search.services import text_note

    changes.install()
    # The document page (a lower layer) tells why a file's text is not searched.
    app.jinja_env.globals["search_text_note"] = text_note
