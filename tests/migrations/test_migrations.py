"""Alembic: head equals the models, and every revision goes up and down (both databases).

Runs on its own throw-away database, never on the one the rest of the suite uses.
"""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from coop_platform import ROOT, create_app
from coop_platform.crypto.keyring import KeyRing
from coop_platform.extensions import db
from tests.conftest import BACKENDS, PG_URL, make_test_config

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(params=BACKENDS)
def migration_app(request, tmp_path):
    KeyRing(tmp_path / "keys").init()
    cfg = make_test_config(tmp_path, request.param)
    admin_engine = None
    if request.param == "postgresql":
        url = make_url(PG_URL)
        name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        cfg.SQLALCHEMY_DATABASE_URI = url.set(database=name).render_as_string(hide_password=False)
    app = create_app(cfg)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin_engine is not None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def revisions() -> list[str]:
    script = ScriptDirectory(os.path.join(MIGRATIONS))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_migrated_schema_equals_the_models(migration_app):
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        head = db.session.execute(text("SELECT seq, hash FROM audit_head")).one()
        assert head.seq == 0
        assert head.hash == "0" * 64


def test_every_revision_goes_up_and_down(migration_app):
    with migration_app.app_context():
        for revision in revisions():
            upgrade(directory=MIGRATIONS, revision=revision)
            downgrade(directory=MIGRATIONS, revision="-1")
            upgrade(directory=MIGRATIONS, revision=revision)
        downgrade(directory=MIGRATIONS, revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()


def test_rows_survive_every_later_upgrade(migration_app):
    with migration_app.app_context():
        first, *later = revisions()
        upgrade(directory=MIGRATIONS, revision=first)
        db.session.execute(text(
            "INSERT INTO states (iso3, name, regional_group, status, note, active, created_at) "
            "VALUES ('FRA', 'France', 'WEOG', 'party', '', true, CURRENT_TIMESTAMP)"))
        db.session.commit()
        for revision in later:
            upgrade(directory=MIGRATIONS, revision=revision)
        assert db.session.execute(text("SELECT name FROM states WHERE iso3 = 'FRA'")).scalar() == "France"
