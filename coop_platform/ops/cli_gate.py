"""Every `flask --app wsgi …` command of the platform first checks that it can work: the key
files hold keys, and the database holds the platform's schema at the code's migration head.
Otherwise it stops with a message saying what to run, before touching anything (a worker
started on a missing database file used to create an empty one and fail on every change).

Left out: what sets things up or looks at them — `db …` (Flask-Migrate's migrations), `keys
init` and `keys status` (they report malformed keys themselves), and `backup verify` /
`backup restore` (a backup is checked, and restored into an empty instance), `backup identity`
(it makes a keeper's key pair and touches nothing else).
"""

from __future__ import annotations

import functools

import click
from flask import Flask
from flask.cli import ScriptInfo

from coop_platform.core import schema
from coop_platform.extensions import db, keyring

SETS_UP = {("keys", "init"), ("keys", "status"), ("backup", "verify"), ("backup", "restore"),
           ("backup", "identity")}


def ensure_ready() -> None:
    problems = keyring().problems()
    if problems:
        raise click.ClickException("\n".join(problems))
    try:
        problem = schema.problem(db.engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the message
        problem = f"the database cannot be reached ({type(exc).__name__})"
    if problem is not None:
        raise click.ClickException(f"Not running: {problem}.")


def _checked(callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        # The app the command runs in (the commands are module-level objects shared by
        # every app a process makes, as the tests do).
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            ensure_ready()
        return callback(*args, **kwargs)
    run.spc_gated = True  # type: ignore[attr-defined]
    return run


def gate_commands(app: Flask, group: click.Group | None = None, path: tuple = ()) -> None:
    for name, command in (group or app.cli).commands.items():
        where = (*path, name)
        if isinstance(command, click.Group):
            gate_commands(app, command, where)
        elif (where not in SETS_UP and where[0] != "db" and command.callback is not None
              and not getattr(command.callback, "spc_gated", False)):
            command.callback = _checked(command.callback)
