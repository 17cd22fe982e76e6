"""flask --app wsgi backup create|verify|restore DIR | mail send [--loop]|status|retry"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask.cli import AppGroup

from coop_platform.core import faults
from coop_platform.core.workers import run_forever
from coop_platform.mail import outbox as mail
from coop_platform.ops import backup

log = logging.getLogger(__name__)


backup_cli = AppGroup("backup", help="Back up and restore the database and encrypted files "
                                     "(never the keys).")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_create(directory: Path) -> None:
    """Database and encrypted files into DIRECTORY (new or empty), with a manifest."""
    try:
        report = backup.create(directory)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup of the {report.database} database and {report.blobs} encrypted files "
               f"({report.size} bytes) in {report.directory}; back up keys/ separately")


@backup_cli.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def backup_verify(directory: Path) -> None:
    """Check every file of a backup against its manifest; exit 1 on any problem."""
    problems = backup.verify(directory)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("backup intact")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def backup_restore(directory: Path) -> None:
    """Restore a verified backup into this empty instance (its keys must be the originals)."""
    try:
        report = backup.restore(directory)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored the database and {report.blobs} encrypted files; "
               "run `audit verify` to check the chain")


mail_cli = AppGroup("mail", help="The e-mail outbox.")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (a service).")
@click.option("--interval", type=click.FloatRange(0.2, 3600), default=5.0, show_default=True,
              help="Seconds between two looks at the outbox when it is empty.")
@click.option("--quiet", is_flag=True, help="Print nothing when nothing was sent.")
def mail_send_command(loop: bool, interval: float, quiet: bool) -> None:
    """Deliver the messages that are due (several senders may run at once)."""

    def round_() -> bool:
        faults.point("mail.send.round")
        sent, failed = mail.send_due()
        if sent or failed or not quiet:
            click.echo(f"sent {sent}, failed attempts {failed}")
        return bool(sent or failed)

    if not loop:
        round_()
        return
    run_forever(round_, name="mail send", idle_seconds=interval, log=log)


@mail_cli.command("status")
def mail_status_command() -> None:
    state = mail.outbox_state()
    age = ("-" if state.oldest_pending_seconds is None
           else f"{state.oldest_pending_seconds:.0f} s")
    click.echo(f"pending {state.pending}, oldest pending {age}, failed {state.failed}")


@mail_cli.command("retry")
def mail_retry_command() -> None:
    """Give the messages that ran out of attempts another round."""
    click.echo(f"{mail.retry_failed()} message(s) will be tried again")
