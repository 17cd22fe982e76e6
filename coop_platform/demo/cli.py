"""flask --app wsgi seed-demo | demo-code EMAIL"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from coop_platform.core.exceptions import DomainError
from coop_platform.demo.accounts import demo_code, seed_demo

BANNER = "DEMO ONLY - these accounts are for local trials and must never hold real content."


@click.command("seed-demo")
@with_appcontext
@click.option("--new-passwords", is_flag=True, help="Give existing demo accounts new passwords.")
def seed_demo_command(new_passwords: bool) -> None:
    """Create demo accounts and print their logins and TOTP keys (refused in Production)."""
    try:
        logins = seed_demo(new_passwords=new_passwords)
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"\n{BANNER}\n")
    for item in logins:
        password = item.password or "(unchanged; `seed-demo --new-passwords` sets new ones)"
        state = f" [{item.state}]" if item.state else ""
        click.echo(f"  {item.role:<12}{state:<7} {item.email}")
        click.echo(f"      password: {password}")
        click.echo(f"      TOTP key: {item.totp_secret}")
    # Commands that work from the repository root, whatever `flask` the shell finds first.
    click.echo("\nCurrent code for a demo account: make demo-code EMAIL=focal.fra@…"
               "\n  (or .venv/bin/flask --app wsgi demo-code EMAIL)\n")


@click.command("demo-code")
@with_appcontext
@click.argument("email")
def demo_code_command(email: str) -> None:
    """Print the current TOTP code of a demo account (refused for real accounts)."""
    try:
        click.echo(demo_code(email))
    except DomainError as error:
        raise click.ClickException(str(error.message)) from error
