"""Which index answers: `SPC_SEARCH_BACKEND` = whoosh | postgresql; unset, PostgreSQL when the
database is PostgreSQL (it scales with the database and its replicas, follows commits in the
same transaction and needs no index files shared between hosts), Whoosh otherwise.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from coop_platform.extensions import db
from coop_platform.search.contract import SearchBackend


def configured_name(app: Flask, session: Session | None = None) -> str:
    name = (app.config.get("SEARCH_BACKEND") or "").strip().lower()
    if name in ("whoosh", "postgresql"):
        return name
    bind = session.get_bind() if session is not None else db.engine
    return "postgresql" if bind.dialect.name == "postgresql" else "whoosh"


def backend(app: Flask, session: Session | None = None) -> SearchBackend:
    # Imported when chosen: a Whoosh deployment never loads the PostgreSQL statements.
    if configured_name(app, session) == "postgresql":
        from coop_platform.search.postgres import backend as postgres

        return postgres
    from coop_platform.search.whoosh import backend as whoosh

    return whoosh
