"""Time to rotate the document KEK over 10,000 versions (goal <= 10 s), in one run.

Rotation rewraps every data key in batches (one transaction each) and never touches the
encrypted files, so only database rows are made here.

    .venv/bin/python benchmarks/key_rotation.py [--versions 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from coop_platform.auth.models import User  # noqa: E402
from coop_platform.documents.models import Document, DocumentVersion  # noqa: E402
from coop_platform.documents.services.keys import data_keys_per_kek, rewrap_all  # noqa: E402
from coop_platform.extensions import db, keyring  # noqa: E402
from coop_platform.states.models import State  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_app(Path(tmp), args.database_url) as ctx:
        dialect = ctx[1]
        state = State(iso3="FRA", name="France", regional_group="WEOG", status="party")
        user = User(email="bench@example.org", role="focal_point", state=state, status="active")
        document = Document(owner_state=state, created_by=user, title="t", document_type="other",
                            language="en", audience="all_states")
        db.session.add_all([state, user, document])
        db.session.commit()
        ring = keyring()
        kek = ring.active_id("document")
        rows = []
        for n in range(1, args.versions + 1):
            vid = uuid.uuid4()
            rows.append({"public_id": str(vid), "document_id": document.id, "number": n,
                         "blob_name": os.urandom(16).hex(), "kek_id": kek,
                         "wrapped_dek": ring.encrypt("document", os.urandom(32), vid.bytes),
                         "sealed_meta": "", "blob_size": 0, "created_by_id": user.id})
        db.session.execute(insert(DocumentVersion), rows)
        db.session.commit()
        ring.rotate("document")
        start = time.perf_counter()
        count = rewrap_all()
        elapsed = time.perf_counter() - start
        assert count == args.versions
        assert data_keys_per_kek() == {ring.active_id("document"): args.versions}
    print(f"database: {dialect}; rewrapped {count} data keys in {elapsed:.2f} s "
          f"({count / elapsed:,.0f} per second); goal for 10,000: <= 10 s")


if __name__ == "__main__":
    main()
