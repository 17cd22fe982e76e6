"""What the search worker does besides reading files' text and applying index changes: it
removes, at a safe age, what crashes leave behind — encrypted blobs no version names and
temporary upload files (documents cleanup), and index generations a killed rebuild left
half-built — so that nobody has to remember to."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from coop_platform.documents.services.cleanup import cleanup
from coop_platform.search import backends

log = logging.getLogger(__name__)


def remove_leftovers(app: Flask | None = None) -> dict[str, int]:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    age = app.config["BLOB_CLEANUP_AGE_MINUTES"] * 60
    report = cleanup(older_than_seconds=age, audit_nothing=False)
    removed = {"orphan_blobs": report.orphan_blobs,
               "stale_temporaries": report.stale_temporaries, "index_generations": 0}
    removed["index_generations"] = backends.backend(app).remove_leftovers(app)
    if any(removed.values()):
        log.info("search worker: removed leftovers %s", removed)
    return removed
