"""flask --app wsgi keys init | rotate | status"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from coop_platform.core import faults
from coop_platform.crypto.keyring import PURPOSES

keys_cli = AppGroup("keys", help="Create, rotate and inspect the key files in keys/.")


def _ring():
    return current_app.extensions["spc_keyring"]


@keys_cli.command("init")
def keys_init() -> None:
    """Create every missing key (idempotent). Existing keys are never touched."""
    ring = _ring()
    created = ring.init()
    current_app.secret_key = ring.session_secret()
    if created:
        for info in created:
            click.echo(f"created {info.key_id}")
    else:
        click.echo("all keys present; nothing created")
    _audit_key_event("keys.init", {"created": [i.key_id for i in created]}, quiet=True)
    _refuse_malformed(ring)


def _refuse_malformed(ring) -> None:
    problems = ring.problems()
    if problems:
        raise click.ClickException("\n".join(problems))


@keys_cli.command("rotate")
@click.argument("purpose", type=click.Choice(sorted(PURPOSES)), default="document")
def keys_rotate(purpose: str) -> None:
    """Make a new active key for PURPOSE (default: the document key-encryption key)."""
    info = _ring().rotate(purpose)
    click.echo(f"new active key {info.key_id}")
    _audit_key_event("keys.rotated", {"purpose": purpose, "key_id": info.key_id})
    faults.point("keys.rotate.rotated")
    if purpose == "document":
        _rewrap()


@keys_cli.command("rewrap")
def keys_rewrap() -> None:
    """Rewrap every document data key under the active KEK (resumes an interrupted rotation)."""
    _rewrap()


def _rewrap() -> None:
    from coop_platform.documents.services.keys import rewrap_all

    count = rewrap_all()
    click.echo(f"rewrapped {count} document data keys under {_ring().active_id('document')}")


@keys_cli.command("status")
def keys_status() -> None:
    """List key ids per purpose and which one is active (never the key material)."""
    ring = _ring()
    infos = ring.status()
    if not infos:
        raise click.ClickException("No keys found; run `flask --app wsgi keys init`.")
    malformed = ring.malformed()
    for info in infos:
        state = "active" if info.active else "retired"
        click.echo(f"{info.key_id}\t{state}" + ("\tMALFORMED" if info.key_id in malformed
                                               else ""))
    missing = sorted(set(PURPOSES) - {i.purpose for i in infos})
    if missing:
        click.echo("missing: " + ", ".join(missing))
    from sqlalchemy.exc import SQLAlchemyError

    from coop_platform.documents.services.keys import data_keys_per_kek

    try:
        counts = data_keys_per_kek()
    except SQLAlchemyError:
        counts = None  # database not migrated yet: nothing wrapped
    for info in infos:
        if counts is not None and info.purpose == "document":
            n = counts.get(info.key_id, 0)
            note = "" if n or info.active else " (no data key uses it: it may be removed)"
            click.echo(f"{info.key_id} wraps {n} document data keys{note}")
    _refuse_malformed(ring)


def _audit_key_event(action: str, details: dict, quiet: bool = False) -> None:
    """Key operations belong in the audit trail when there is a database to write it to."""
    from sqlalchemy.exc import SQLAlchemyError

    from coop_platform.audit.services import record
    from coop_platform.extensions import db

    try:
        record(action, details=details)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        if not quiet:
            click.echo("note: the database is not migrated yet; the key event was not audited",
                       err=True)
