"""flask --app wsgi questionnaires load | list | clone PUBLIC_ID | open PUBLIC_ID | close PUBLIC_ID
| remind"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coop_platform.core.exceptions import DomainError
from coop_platform.questionnaires.services import authoring

questionnaires_cli = AppGroup("questionnaires", help="The cooperation questionnaire.")


@questionnaires_cli.command("load")
def load_command() -> None:
    """Create and open version 1 of the cooperation questionnaire (idempotent)."""
    questionnaire, created = authoring.load_seed()
    state = "created" if created else "already there"
    click.echo(f"{questionnaire.family} v{questionnaire.version} ({questionnaire.status}): "
               f"{state}, {len(questionnaire.questions)} questions, id {questionnaire.public_id}")


@questionnaires_cli.command("list")
def list_command() -> None:
    for q in authoring.list_questionnaires(include_drafts=True):
        click.echo(f"{q.public_id}  {q.family} v{q.version}  {q.status}  {q.title_en}")


def _get(public_id: str):
    try:
        return authoring.get_questionnaire(public_id, include_drafts=True)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None


@questionnaires_cli.command("clone")
@click.argument("public_id")
def clone_command(public_id: str) -> None:
    """A new draft version with the same questions; answers carried forward by key."""
    copy = authoring.clone(None, _get(public_id))
    click.echo(f"created {copy.family} v{copy.version} (draft), id {copy.public_id}")


@questionnaires_cli.command("open")
@click.argument("public_id")
def open_command(public_id: str) -> None:
    """Open a draft version (the family's open version is closed)."""
    try:
        authoring.set_status(None, _get(public_id), "open")
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo("opened")


@questionnaires_cli.command("close")
@click.argument("public_id")
def close_command(public_id: str) -> None:
    try:
        authoring.set_status(None, _get(public_id), "closed")
    except DomainError as error:
        raise click.ClickException(str(error.message)) from None
    click.echo("closed")

