"""flask --app wsgi backup create|verify|restore DIR, backup identity FILE, mail send|status|retry,
remind"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from coop_platform.core import faults
from coop_platform.core.files import write_whole
from coop_platform.core.workers import run_forever
from coop_platform.crypto import archives
from coop_platform.documents.services import currency
from coop_platform.mail import outbox as mail
from coop_platform.ops import backup
from coop_platform.questionnaires.services import following

log = logging.getLogger(__name__)


backup_cli = AppGroup("backup", help="Back up and restore the database and encrypted files "
                                     "(never the keys).")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-r", "--recipient", "recipients", multiple=True, metavar="AGE1…",
              help="An age public key to encrypt the backup to (repeatable); added to "
                   "SPC_BACKUP_RECIPIENTS.")
@click.option("-R", "--recipients-file", "recipient_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of age public keys, one per line (repeatable).")
def backup_create(directory: Path, recipients: tuple[str, ...],
                  recipient_files: tuple[Path, ...]) -> None:
    """Database and encrypted files into DIRECTORY (new or empty), as one archive encrypted
    to the keepers' age public keys, with a signed seal."""
    keepers = list(current_app.config["BACKUP_RECIPIENTS"]) + list(recipients)
    for path in recipient_files:
        keepers += path.read_text(encoding="ascii", errors="replace").splitlines()
    try:
        report = backup.create(directory, keepers)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup of the {report.database} database and {report.blobs} encrypted files "
               f"({report.size} bytes) in {report.directory}, readable only with a keeper's "
               f"identity; back up keys/ separately")


IDENTITY = click.Path(exists=True, dir_okay=False, path_type=Path)


@backup_cli.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-i", "--identity", type=IDENTITY,
              help="A keeper's age identity file: also open the archive and check every file "
                   "in it.")
def backup_verify(directory: Path, identity: Path | None) -> None:
    """Check a backup's seal and archive (and, with --identity, every file inside); exit 1
    on any problem."""
    problems = backup.verify(directory, identity)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("backup intact" if identity else "backup intact (seal and archive; pass "
                                                  "--identity to check the files inside)")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-i", "--identity", type=IDENTITY, required=True,
              help="A keeper's age identity file (AGE-SECRET-KEY-1…).")
def backup_restore(directory: Path, identity: Path) -> None:
    """Restore a verified backup into this empty instance (its keys must be the originals)."""
    try:
        report = backup.restore(directory, identity)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored the database and {report.blobs} encrypted files; "
               "run `audit verify` to check the chain")


@backup_cli.command("identity")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_identity(file: Path) -> None:
    """Make a new age identity for a backup keeper in FILE (owner-only, never overwritten)
    and print its public key. Keep FILE off this server, where the keeper restores."""
    secret, public = archives.new_identity()
    try:
        write_whole(file, f"# public key: {public}\n{secret}\n".encode("ascii"), mode=0o600,
                    replace=False)
    except FileExistsError:
        raise click.ClickException(f"{file} exists: choose a new file") from None
    except OSError as error:
        raise click.ClickException(f"{file} cannot be written: {error}") from None
    click.echo(public)


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


@click.command("remind")
@with_appcontext
def remind_command() -> None:
    """Remind focal points of questionnaire answers and published documents not confirmed
    for eleven months (run it daily: each is reminded at most once a month)."""
    click.echo(f"reminded {following.remind()} State(s) of answers, "
               f"{currency.remind()} State(s) of documents")
