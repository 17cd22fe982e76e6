"""Whether the database holds the platform's schema, at the migration the code was written for.

Started on a missing SQLite file, the server used to create an empty database and answer every
page with a bare 500 ("no such table: users") while /healthz said ok. Now the web server, the
workers and the commands refuse to start on such a database, with a message saying what to
run, and a SQLite file is only ever created by `db upgrade` (core/sqlite.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SETUP = "run `flask --app wsgi db upgrade` (`make run` does it)"


@lru_cache(maxsize=1)
def code_head() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError("the migrations folder has no head")
    return head


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for other databases or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    return None if not name or name == ":memory:" else Path(name)


def problem(engine: Engine) -> str | None:
    """What keeps the platform from running on this database, in one sentence, or None."""
    path = sqlite_file(engine)
    if path is not None and not path.is_file():
        return f"the database file {path} does not exist: {SETUP}"
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return f"the database has no platform schema: {SETUP}"
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    head = code_head()
    if found != [head]:
        at = ", ".join(found) or "no migration"
        return (f"the database is at migration {at} and the code at {head}: {SETUP}")
    return None
