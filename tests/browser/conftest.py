"""What every browser journey shares: the real app behind a threaded HTTP server."""

from __future__ import annotations

import pytest


@pytest.fixture
def server(app, live_server):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the journeys run once, on SQLite; the pages do not depend on the database")
    return live_server
