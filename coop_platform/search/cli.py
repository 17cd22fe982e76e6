"""`flask --app wsgi search …`: rebuild the index, read files' text, report."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

from coop_platform.core import faults
from coop_platform.core.workers import run_forever
from coop_platform.extensions import db
from coop_platform.search import backends
from coop_platform.search.contract import SearchUnavailable
from coop_platform.search.extraction import run_extractions
from coop_platform.search.upkeep import remove_leftovers

log = logging.getLogger(__name__)

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index from the database (searches go on meanwhile)."""
    engine = backends.backend(current_app)
    started = time.monotonic()
    count = engine.rebuild(current_app, wait=True)
    click.echo(f"{backends.configured_name(current_app)}: {count} entries in "
               f"{time.monotonic() - started:.1f} s")


@search_cli.command("work")
@click.option("--loop", is_flag=True, help="Keep going (every half second) until stopped.")
def work_command(loop: bool) -> None:
    """Read pending files' text, apply pending index changes, and remove leftovers of crashes
    (every few minutes). With --loop, a failed round is logged and tried again: the worker
    never stops of a transient error."""
    every = current_app.config["BLOB_CLEANUP_EVERY_MINUTES"] * 60
    next_upkeep = 0.0

    def round_() -> bool:
        nonlocal next_upkeep
        faults.point("search.work.cycle")
        if time.monotonic() >= next_upkeep:
            next_upkeep = time.monotonic() + every
            remove_leftovers()
        read = run_extractions()
        # End this session's transaction: on SQLite it holds the write lock (BEGIN
        # IMMEDIATE) that the drain's own connection needs.
        db.session.commit()
        applied = max(0, backends.backend(current_app).apply_pending(current_app, lock_timeout=2.0))
        if not loop:
            click.echo(f"files read {read}, index changes applied {applied}")
        return bool(read or applied)

    if loop:
        run_forever(round_, name="search work", idle_seconds=0.5, log=log)
        return
    try:
        round_()
    except SearchUnavailable:
        raise click.ClickException("another process is rebuilding the index: run this again "
                                   "in a moment (nothing was lost)") from None


@search_cli.command("status")
def status_command() -> None:
    """Which backend, how many entries, how many changes wait."""
    for key, value in backends.backend(current_app).status(current_app).items():
        click.echo(f"{key}: {value}")
