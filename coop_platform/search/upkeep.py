"""What the search worker does besides reading files' text and applying index changes: it
removes, at a safe age, what crashes leave behind — encrypted blobs no version names and
temporary upload files (documents cleanup), and index generations a killed rebuild left
half-built — so that nobody has to remember to."""

from __future__ import annotations

import logging

from flask import current_app

from coop_platform.documents.services.cleanup import cleanup
from coop_platform.search import backends

log = logging.getLogger(__name__)


def remove_leftovers(app=None) -> dict[str, int]:
    app = app or current_app._get_current_object()
    age = app.config["BLOB_CLEANUP_AGE_MINUTES"] * 60
    report = cleanup(older_than_seconds=age, audit_nothing=False)
    removed = {"orphan_blobs": report.orphan_blobs,
               "stale_temporaries": report.stale_temporaries, "index_generations": 0}
    if backends.configured_name(app) == "whoosh":
        from coop_platform.search.whoosh_index import remove_stale_generations

        removed["index_generations"] = remove_stale_generations(app)
    if any(removed.values()):
        log.info("search worker: removed leftovers %s", removed)
    return removed
