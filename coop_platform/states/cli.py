"""flask --app wsgi states load [PATH]"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from coop_platform.core.exceptions import DomainError
from coop_platform.states.services import load_states

states_cli = AppGroup("states", help="The States Parties registry.")


@states_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
@click.option("--overwrite-local-edits", is_flag=True,
              help="Also replace rows an administrator edited in the product.")
def states_load(path: Path | None, overwrite_local_edits: bool) -> None:
    """Load the States Parties (default: the reference list shipped with the package)."""
    try:
        report = load_states(path, overwrite_local_edits=overwrite_local_edits)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"created {report.created}, updated {report.updated}, unchanged "
               f"{report.unchanged}, kept local edits {report.kept_local_edits}")
