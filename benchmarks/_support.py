"""What every benchmark needs: the app on a throw-away key folder and database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from config import DevelopmentConfig, normalise_database_url  # noqa: E402
from coop_platform import create_app  # noqa: E402
from coop_platform.core.sqlite import creating_allowed  # noqa: E402
from coop_platform.crypto.keyring import KeyRing  # noqa: E402
from coop_platform.extensions import db  # noqa: E402


@contextmanager
def bench_app(base: Path, database_url: str | None) -> Iterator[tuple[Flask, str]]:
    """An app context on fresh tables (dropped afterwards); yields the app and its dialect."""
    KeyRing(base / "keys").init()
    cfg = DevelopmentConfig()
    cfg.INSTANCE_DIR, cfg.KEYS_DIR = base / "instance", base / "keys"
    cfg.SQLALCHEMY_DATABASE_URI = (normalise_database_url(database_url)
                                   or f"sqlite:///{base / 'bench.db'}")
    # The benchmark makes its own tables, right below: nothing to check at start.
    cfg.CHECK_SCHEMA_AT_START = False
    app = create_app(cfg)
    with app.app_context(), creating_allowed():
        db.drop_all()
        db.create_all()
        try:
            yield app, cfg.SQLALCHEMY_DATABASE_URI.split(":", 1)[0]
        finally:
            db.session.remove()  # release read locks before dropping the tables
            db.drop_all()


def insert_sealed(model, rows: list[dict]) -> list[int]:
    """Insert `rows` of `model` in bulk, as the application stores them: each sealed
    attribute (given by its clear name) sealed for the row's id. Returns the ids."""
    from sqlalchemy import bindparam, insert

    from coop_platform.crypto.fields import sealed_models

    fields = sealed_models().get(model, {})
    table = model.__table__
    plain = [{k: v for k, v in row.items() if k not in fields} for row in rows]
    ids = list(db.session.scalars(insert(table).returning(table.c.id), plain))
    updates = []
    for row_id, row in zip(ids, rows, strict=True):
        sealed = {f"new_{fields[k].column}": fields[k].seal(v, row_id)
                  for k, v in row.items() if k in fields}
        if sealed:
            updates.append({"row_id": row_id, **sealed})
    if updates:
        columns = [name.removeprefix("new_") for name in updates[0] if name != "row_id"]
        db.session.execute(table.update().where(table.c.id == bindparam("row_id"))
                           .values({c: bindparam(f"new_{c}") for c in columns}), updates)
    return ids
