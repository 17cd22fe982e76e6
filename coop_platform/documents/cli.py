"""flask --app wsgi documents cleanup"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coop_platform.documents.services.cleanup import cleanup

documents_cli = AppGroup("documents", help="Encrypted document store maintenance.")


@documents_cli.command("cleanup")
@click.option("--older-than-minutes", default=60, show_default=True, type=click.IntRange(min=0),
              help="Leave files younger than this alone (an upload may be finishing).")
def documents_cleanup(older_than_minutes: int) -> None:
    """Remove blobs that no version names and stale temporary files."""
    report = cleanup(older_than_minutes * 60)
    click.echo(f"removed {report.orphan_blobs} orphan blobs and "
               f"{report.stale_temporaries} stale temporary files")
