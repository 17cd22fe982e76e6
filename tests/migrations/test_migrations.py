"""Alembic: head equals the models, and every revision goes up and down (both databases).

Runs on its own throw-away database, never on the one the rest of the suite uses.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import ExitStack

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, select, text

from coop_platform import ROOT, create_app
from coop_platform.crypto.keyring import KeyRing
from coop_platform.extensions import db
from tests.conftest import BACKENDS, PG_URL, make_test_config
from tests.support.databases import throwaway_postgresql

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(params=BACKENDS)
def migration_app(request, tmp_path):
    KeyRing(tmp_path / "keys").init()
    cfg = make_test_config(tmp_path, request.param)
    (tmp_path / "test.db").touch(mode=0o600)  # what `flask db upgrade` would create
    with ExitStack() as stack:
        if request.param == "postgresql":
            cfg.SQLALCHEMY_DATABASE_URI = stack.enter_context(throwaway_postgresql(PG_URL, "mig"))
        app = create_app(cfg)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def revisions() -> list[str]:
    script = ScriptDirectory(os.path.join(MIGRATIONS))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


LITERAL = re.compile(r"'((?:[^']|'')*)'")


def check_constraints_of_models() -> dict[tuple[str, str], set[str]]:
    """{(table, constraint name): the quoted values it allows}, from the models."""
    found = {}
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                name = constraint.name
                text_ = str(constraint.sqltext)
                found[(table.name, str(name))] = set(LITERAL.findall(text_))
    return found


def check_constraints_in_database(inspector) -> dict[tuple[str, str], set[str]]:
    found = {}
    for table in db.metadata.sorted_tables:
        for constraint in inspector.get_check_constraints(table.name):
            found[(table.name, constraint["name"])] = set(LITERAL.findall(constraint["sqltext"]))
    return found


def test_migrated_schema_equals_the_models(migration_app):
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], diff
        # Alembic does not compare CHECK constraints: a value added to an enumeration in the
        # models (a topic, a status) without a migration would pass unseen. Compare names and
        # the values each constraint allows.
        expected = {k: v for k, v in check_constraints_of_models().items()}
        actual = check_constraints_in_database(inspect(db.engine))
        # SQLAlchemy names model constraints through the naming convention when it creates
        # them; reflected names carry it already.
        normalised = {}
        for (table, name), values in expected.items():
            full = name if name.startswith(f"ck_{table}_") else f"ck_{table}_{name}"
            normalised[(table, full)] = values
        assert actual == normalised
        head = db.session.execute(text("SELECT seq, hash FROM audit_head")).one()
        assert head.seq == 0
        assert head.hash == "0" * 64


def test_the_models_alone_build_a_database():
    """The benchmarks and any tool that calls create_all build the schema from the models: it
    must be valid SQL there too (a CHECK constraint once listed its values as Python enum
    reprs, "<DocumentStatus.DRAFT: 'draft'>", which the comparison above, reading only the
    quoted values, could not see)."""
    import coop_platform.models  # noqa: F401 (every model registered on the metadata)

    assert len(db.metadata.sorted_tables) > 20
    engine = create_engine("sqlite://")
    try:
        db.metadata.create_all(engine)
        for table in db.metadata.sorted_tables:
            for constraint in table.constraints:
                if isinstance(constraint, CheckConstraint):
                    assert "<" not in str(constraint.sqltext).replace("<>", ""), constraint.name
    finally:
        engine.dispose()


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


def seed_every_table() -> None:
    """Rows in every table, made through the models as the application makes them."""
    from coop_platform.audit.services import record
    from coop_platform.auth.models import Invitation, RecoveryCode, User
    from coop_platform.documents.models import (
        Document,
        DocumentAudienceState,
        DocumentRevision,
        DocumentTopic,
        DocumentVersion,
        SharingRequest,
    )
    from coop_platform.moderation.models import Notification
    from coop_platform.states.models import State
    from coop_platform.states.services import load_states

    load_states()
    fra, sen = (db.session.scalars(select(State).where(State.iso3 == c)).one()
                for c in ("FRA", "SEN"))
    user = User(email="fp@example.org", role="focal_point", state=fra, status="active")
    db.session.add(user)
    db.session.flush()
    db.session.add_all([
        Invitation(user_id=user.id, token_hash="a" * 64, purpose="enrol",
                   expires_at=user.created_at),
        RecoveryCode(user_id=user.id, code_hash="b" * 64),
    ])
    document = Document(owner_state_id=fra.id, created_by_id=user.id, title="Procedure",
                        document_type="procedure", language="en", audience="selected_states",
                        status="published", topic_rows=[DocumentTopic(topic="freezing")],
                        audience_rows=[DocumentAudienceState(state_id=sen.id)])
    db.session.add(document)
    db.session.flush()
    db.session.add(DocumentVersion(public_id=str(uuid.uuid4()), document_id=document.id,
                                   number=1, blob_name="c" * 32, kek_id="document-1",
                                   wrapped_dek="x", sealed_meta="y", blob_size=1,
                                   created_by_id=user.id))
    db.session.add(Notification(user_id=user.id, kind="decision", document=document,
                                params="{}"))
    db.session.add(SharingRequest(document_id=document.id, audience="all_states",
                                  requested_by_id=user.id))
    db.session.add(DocumentRevision(document_id=document.id, title="Procedure, amended",
                                    document_type="procedure", language="en",
                                    classification="restricted", note="Article 3 amended.",
                                    created_by_id=user.id))
    record("test.seeded", actor=user)
    db.session.commit()


def leftover_temporary_tables() -> set[str]:
    return {t for t in inspect(db.engine).get_table_names() if t.startswith("_alembic_tmp")}


def test_every_revision_goes_down_with_rows_in_every_table(migration_app):
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_every_table()
        db.session.remove()
        for _revision in reversed(revisions()[1:]):
            downgrade(directory=MIGRATIONS, revision="-1")
            assert leftover_temporary_tables() == set()
        # The first revision's tables kept their rows all the way down.
        assert db.session.execute(text("SELECT name FROM states WHERE iso3 = 'FRA'")
                                  ).scalar() == "France"
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 1


SEALING_PARENT = "5e0c2a9d7b41"  # the revision before b7e3c91a4d20, which seals


def test_the_sealing_revision_seals_what_was_clear_and_opens_it_going_down(migration_app):
    """Data written before the sealing revision is sealed by it (and found by the blind
    index), and opened back into clear by its downgrade."""
    from coop_platform.auth.models import User
    from coop_platform.auth.services.common import find_user_by_email
    from coop_platform.documents.models import Document

    with migration_app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_every_table()
        db.session.scalars(select(Document)).one().summary = "Freezing within 48 hours"
        from coop_platform.mail import outbox

        outbox.queue(db.session(), outbox.Mail("fp@example.org", "Invitation",
                                               "Open https://example.org/auth/invitation/x"))
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision=SEALING_PARENT)
        clear = db.session.execute(text("SELECT title, summary FROM documents")).one()
        assert tuple(clear) == ("Procedure", "Freezing within 48 hours")
        assert db.session.execute(text("SELECT email FROM users")).scalar() == "fp@example.org"
        db.session.remove()
        upgrade(directory=MIGRATIONS)
        title, summary = db.session.execute(text("SELECT title, summary FROM documents")).one()
        assert title.startswith("content-0001:")
        assert summary.startswith("content-0001:")
        assert "Procedure" not in title
        email, lookup = db.session.execute(text("SELECT email, email_lookup FROM users")).one()
        assert email.startswith("people-0001:")
        assert lookup.startswith("lookup-0001:")
        document = db.session.scalars(select(Document)).one()
        assert (document.title, document.summary) == ("Procedure", "Freezing within 48 hours")
        found = find_user_by_email("  FP@Example.org ")
        assert found is not None
        assert found.email == "fp@example.org"
        assert db.session.scalars(select(User)).one() is found
        from coop_platform.mail.models import OutboxMail

        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.body == "Open https://example.org/auth/invitation/x"
        assert mail.recipient == "fp@example.org"


def test_the_keyed_search_revision_deletes_the_words_postgresql_indexed(migration_app):
    """Vectors and vocabulary written before c4d8e2f61a09 held words in clear: the upgrade
    leaves none of them behind (`search reindex` builds the keyed index again)."""
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS, revision="b7e3c91a4d20")
        db.session.execute(text(
            "INSERT INTO search_texts (kind, ref_id, tsv, updated_at) "
            "VALUES ('document', 1, 'freez:1 asset:2', CURRENT_TIMESTAMP)"))
        db.session.execute(text("INSERT INTO search_words (word) VALUES ('freezing')"))
        db.session.commit()
        db.session.remove()
        upgrade(directory=MIGRATIONS)
        assert db.session.execute(text("SELECT count(*) FROM search_texts")).scalar() == 0
        assert db.session.execute(text("SELECT count(*) FROM search_words")).scalar() == 0
        db.session.remove()  # SQLite: its transaction would hold the file the inspector reads
        columns = {c["name"] for c in inspect(db.engine).get_columns("search_words")}
        assert columns == {"id", "token", "sealed_word"}


def test_the_revisions_upgrade_releases_what_readers_had_and_going_down_never_shows_more(
        migration_app, caplog):
    """d91a7c3e5b10: a published document's newest version stays with its readers (released at
    the publication), its earlier draft versions do not; going down is refused while a
    revision the Secretariat did not accept holds a version, which the older schema would
    show to every reader."""
    with migration_app.app_context():
        upgrade(directory=MIGRATIONS)
        seed_every_table()  # a published document, version 1, a revision waiting
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="d91a7c3e5b10")
        document_id, user_id = db.session.execute(text(
            "SELECT id, created_by_id FROM documents")).one()
        db.session.execute(text(
            "INSERT INTO document_versions (public_id, document_id, number, blob_name, kek_id, "
            "wrapped_dek, sealed_meta, blob_size, note, created_by_id, created_at) VALUES "
            "(:public_id, :document_id, 2, :blob, 'document-1', 'x', 'y', 1, '', :user_id, "
            "CURRENT_TIMESTAMP)"), {"public_id": str(uuid.uuid4()), "document_id": document_id,
                                    "blob": "d" * 32, "user_id": user_id})
        db.session.execute(text(
            "UPDATE document_revisions SET version_id = (SELECT id FROM document_versions "
            "WHERE number = 2)"))
        db.session.execute(text("UPDATE documents SET published_at = CURRENT_TIMESTAMP"))
        db.session.commit()
        db.session.remove()
        with pytest.raises(SystemExit):  # flask-migrate's answer to the migration's refusal
            downgrade(directory=MIGRATIONS, revision="c4d8e2f61a09")
        assert "hold a version the Secretariat did not accept" in caplog.text
        db.session.remove()
        assert db.session.execute(text("SELECT count(*) FROM document_revisions")).scalar() == 1
        db.session.execute(text("UPDATE document_revisions SET status = 'accepted'"))
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="c4d8e2f61a09")
        upgrade(directory=MIGRATIONS, revision="d91a7c3e5b10")
        released = dict(db.session.execute(text(
            "SELECT number, released_at IS NOT NULL FROM document_versions")).all())
        assert released == {1: False, 2: True}
        assert db.session.execute(text(
            "SELECT confirmed_at IS NOT NULL AND revised_at IS NOT NULL FROM documents")).scalar()
        db.session.remove()
