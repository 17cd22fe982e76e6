"""Document key-encryption key rotation: rewrap every data key, never re-encrypt content."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from coop_platform.audit.services import record
from coop_platform.core import faults
from coop_platform.documents.models import DocumentVersion
from coop_platform.extensions import db, keyring


def rewrap_all(batch_size: int = 500) -> int:
    """Rewrap, batch by batch, every data key not yet under the active KEK. Each batch is its
    own transaction, so an interrupted run is resumed by running it again."""
    ring = keyring()
    active = ring.active_id("document")
    total = 0
    while True:
        batch = list(db.session.scalars(
            select(DocumentVersion).where(DocumentVersion.kek_id != active)
            .order_by(DocumentVersion.id).limit(batch_size)
        ))
        if not batch:
            break
        for version in batch:
            context = uuid.UUID(version.public_id).bytes
            dek = ring.decrypt("document", version.wrapped_dek, context)
            version.wrapped_dek = ring.encrypt("document", dek, context)
            version.kek_id = active
        db.session.commit()
        faults.point("keys.rewrap.batch")
        total += len(batch)
    record("keys.rewrapped", details={"kek_id": active, "count": total})
    db.session.commit()
    return total


def data_keys_per_kek() -> dict[str, int]:
    rows = db.session.execute(
        select(DocumentVersion.kek_id, func.count()).group_by(DocumentVersion.kek_id)
    )
    return {kek: count for kek, count in rows}
