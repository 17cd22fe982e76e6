"""Every search test runs on each backend the database can carry: Whoosh everywhere, and
PostgreSQL full-text search when the database is PostgreSQL."""

from __future__ import annotations

import pytest

from coop_platform.extensions import db
from coop_platform.search.extraction import run_extractions


def _backends(app) -> list[str]:
    with app.app_context():
        return ["whoosh"] + (["postgresql"] if db.engine.dialect.name == "postgresql" else [])


def pytest_generate_tests(metafunc):
    if "search_backend" in metafunc.fixturenames:
        metafunc.parametrize("search_backend", ["whoosh", "postgresql"], indirect=True)


@pytest.fixture
def search_backend(request, app):
    if request.param not in _backends(app):
        pytest.skip("PostgreSQL full-text search needs the PostgreSQL database")
    previous = app.config.get("SEARCH_BACKEND", "")
    app.config["SEARCH_BACKEND"] = request.param
    yield request.param
    app.config["SEARCH_BACKEND"] = previous


@pytest.fixture
def read_files(app):
    """What `flask search work` does in production: read pending files' text."""
    def run() -> int:
        with app.app_context():
            done = run_extractions(limit=100)
            db.session.remove()
            return done
    return run
