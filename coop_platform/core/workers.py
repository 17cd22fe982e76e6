"""The loops of the service processes (the e-mail sender, the search worker): a failure of one
round — the database briefly gone, an index being rebuilt by another process, a file that
cannot be read — is logged and the round tried again after a growing wait; it never ends the
process (a search worker once died of a race with the server's rebuild of the index, and new
files went unindexed until someone restarted it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress

from coop_platform.extensions import db

FIRST_WAIT, LONGEST_WAIT = 1.0, 60.0


def run_forever(round_: Callable[[], bool], *, name: str, idle_seconds: float,
                log: logging.Logger, sleep: Callable[[float], None] = time.sleep) -> None:
    """Call `round_` until interrupted: again at once when it did something (True), after
    `idle_seconds` when it found nothing to do, after a growing wait when it failed."""
    wait = FIRST_WAIT
    while True:
        try:
            busy = round_()
            wait = FIRST_WAIT
            pause = 0.0 if busy else idle_seconds
        except KeyboardInterrupt:
            return
        except Exception:  # noqa: BLE001 - logged whole; the next round may well succeed
            log.exception("%s: this round failed; trying again in %.0f s", name, wait)
            with suppress(Exception):
                db.session.rollback()
            pause, wait = wait, min(wait * 2, LONGEST_WAIT)
        if pause:
            try:
                sleep(pause)
            except KeyboardInterrupt:
                return
