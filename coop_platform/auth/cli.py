"""flask --app wsgi users invite | reset-2fa | disable | enable"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from coop_platform.auth.models import ROLES
from coop_platform.auth.services import accounts, invitations
from coop_platform.core.exceptions import DomainError

users_cli = AppGroup("users", help="Invite and manage accounts.")


def _fail(error: DomainError):
    raise click.ClickException(str(error.message)) from error


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(sorted(str(role) for role in ROLES)))
@click.option("--state", "state_iso3", default=None, help="ISO 3166 alpha-3 code of the State.")
@click.option("--name", default="", help="The person's name, as shown to others.")
def users_invite(email: str, role: str, state_iso3: str | None, name: str) -> None:
    """Invite EMAIL and print the single-use invitation URL."""
    try:
        _user, url = invitations.invite(email, role, state_iso3, None, display_name=name)
    except DomainError as error:
        _fail(error)
    click.echo(url)


@users_cli.command("reset-2fa")
@click.argument("email")
def users_reset_2fa(email: str) -> None:
    """Remove the user's authenticator and print a re-enrolment URL."""
    try:
        url = accounts.reset_second_factor(accounts.user_by_email(email), None)
    except DomainError as error:
        _fail(error)
    click.echo(url)


@users_cli.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable the account and end its sessions (accounts are never deleted)."""
    try:
        accounts.disable(accounts.user_by_email(email), None)
    except DomainError as error:
        _fail(error)
    click.echo(f"disabled {email}")


@users_cli.command("enable")
@click.argument("email")
def users_enable(email: str) -> None:
    """Enable a disabled account again."""
    try:
        accounts.enable(accounts.user_by_email(email), None)
    except DomainError as error:
        _fail(error)
    click.echo(f"enabled {email}")
