"""flask --app wsgi audit verify [--head FILE] | audit head"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from coop_platform.audit.checkpoints import CheckpointInvalid, check_against, export_head
from coop_platform.audit.services import verify
from coop_platform.core.files import write_whole

audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("head")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the checkpoint to this file instead of printing it.")
def audit_head(output: Path | None) -> None:
    """Export the signed chain head, to keep somewhere outside this server."""
    text = json.dumps(export_head(), indent=2)
    if output:
        # Whole or absent: a checkpoint cut by a crash would not verify later.
        write_whole(output, (text + "\n").encode("utf-8"), mode=0o644)
        click.echo(f"checkpoint written to {output}")
    else:
        click.echo(text)


@audit_cli.command("verify")
@click.option("--head", "head_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint from `audit head`: the chain must still contain it.")
def audit_verify(head_file: Path | None) -> None:
    """Walk the chain; exit 1 naming the first broken record."""
    if head_file is not None:
        try:
            check = check_against(json.loads(head_file.read_text()))
        except (CheckpointInvalid, ValueError) as exc:
            click.echo(f"checkpoint REFUSED: {exc}", err=True)
            sys.exit(1)
        if check.chain.ok and not check.ok:
            click.echo(f"audit chain does NOT match the checkpoint: {check.reason}", err=True)
            sys.exit(1)
        if check.ok:
            click.echo(f"audit chain intact: {check.chain.checked} records; contains the "
                       f"checkpoint")
            return
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
