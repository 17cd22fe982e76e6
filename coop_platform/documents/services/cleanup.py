"""Remove what failed or crashed uploads left behind: blobs no version names, stale
temporary files. Recent files are left alone: an upload may be finishing right now."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from coop_platform.audit.services import record
from coop_platform.documents.models import DocumentVersion
from coop_platform.documents.services.uploads import blob_store
from coop_platform.extensions import db


@dataclass
class CleanupReport:
    orphan_blobs: int
    stale_temporaries: int


def cleanup(older_than_seconds: float = 3600, audit_nothing: bool = True) -> CleanupReport:
    """Remove what is older than `older_than_seconds`. Audited; a run that removed nothing
    only when `audit_nothing` (the search worker runs this every few minutes)."""
    store = blob_store()
    known = set(db.session.scalars(select(DocumentVersion.blob_name)))
    limit = time.time() - older_than_seconds
    orphans = 0
    for name in list(store.names()):
        if name not in known and store.modified_at(name) <= limit:
            store.delete(name)
            orphans += 1
    stale = store.remove_stale_temporaries(older_than_seconds)
    if orphans or stale or audit_nothing:
        record("documents.cleanup", details={"orphan_blobs": orphans,
                                             "stale_temporaries": stale})
    db.session.commit()
    return CleanupReport(orphans, stale)
