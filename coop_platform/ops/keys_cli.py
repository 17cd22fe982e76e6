"""flask --app wsgi keys init | rotate | rewrap | reseal | status"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from coop_platform.core import faults
from coop_platform.crypto.fields import reseal, sealed_purposes, values_per_key
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
    elif purpose in sealed_purposes():
        _reseal(purpose)
    elif purpose == "index":
        # The index holds tokens keyed under the old key: queries keyed under the new one
        # would find nothing until it is built again.
        from coop_platform.search import backends

        count = backends.backend(current_app).rebuild(current_app, wait=True)
        click.echo(f"search index rebuilt under the new key: {count} entries")


@keys_cli.command("rewrap")
def keys_rewrap() -> None:
    """Rewrap every document data key under the active KEK (resumes an interrupted rotation)."""
    _rewrap()


@keys_cli.command("reseal")
@click.argument("purpose", type=click.Choice(sorted(PURPOSES)))
def keys_reseal(purpose: str) -> None:
    """Seal every stored value of PURPOSE under its active key (resumes an interrupted
    rotation; for "lookup", compute every blind index again)."""
    if purpose not in sealed_purposes():
        raise click.ClickException(f"no stored field is sealed with the {purpose} key")
    _reseal(purpose)


def _reseal(purpose: str) -> None:
    from coop_platform.audit.services import record
    from coop_platform.extensions import db

    count = reseal(purpose, after_batch=lambda: faults.point("keys.reseal.batch"))
    active = _ring().active_id(purpose)
    record("keys.resealed", details={"purpose": purpose, "key_id": active, "count": count})
    db.session.commit()
    click.echo(f"sealed {count} stored values again under {active}")


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
    if counts is not None:
        for purpose in sorted(sealed_purposes()):
            for key_id, n in values_per_key(purpose).items():
                active = key_id == ring.active_id(purpose)
                note = ("" if active else " (run `keys reseal " + purpose + "`)" if n
                        else " (nothing uses it: it may be removed)")
                click.echo(f"{key_id} {'indexes' if purpose == 'lookup' else 'seals'} {n} "
                           f"stored values{note}")
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
