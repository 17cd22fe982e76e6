"""flask --app wsgi audit verify"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from coop_platform.audit.services import verify

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the chain; exit 1 naming the first broken record."""
    result = verify()
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} records")
        return
    click.echo(
        f"audit chain BROKEN at record id {result.bad_record_id} (sequence {result.bad_seq}): "
        f"{result.reason}; {result.checked} records before it are intact",
        err=True,
    )
    sys.exit(1)
