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
    """The backend's report, with the files waiting for their text to be read: "degraded"
    when the oldest has waited longer than SPC_SEARCH_TEXT_MAX_WAIT_MINUTES (the search
    worker is down or stuck, and new files are not found by their text), or when the index
    must be rebuilt before anything is found."""
    from coop_platform.search import backends
    from coop_platform.search.extraction import waiting

    report = backends.backend(app).status(app)
    count, oldest = waiting()
    report["files_waiting"] = count
    report["oldest_file_waiting_seconds"] = None if oldest is None else round(oldest, 1)
    late = oldest is not None and oldest > app.config["SEARCH_TEXT_MAX_WAIT_MINUTES"] * 60
    report["status"] = "degraded" if late or report.get("reindex_needed") else "ok"
    return report
