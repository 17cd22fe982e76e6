"""Fault points for the fault-injection tests (tests/faults/): a named place in a process
where `SPC_FAULT` can make that process die at once (kill -9 of itself) or fail as a full disk
would. Without the variable a point costs one dictionary lookup and does nothing.

SPC_FAULT="keys.rotate.linked:kill"   - the process gets SIGKILL at that point
SPC_FAULT="blobs.write:enospc"        - an OSError(ENOSPC) is raised there, every time
SPC_FAULT="search.work.cycle:error"   - a RuntimeError (Injected) is raised there, every time
SPC_FAULT="search.extract.read:sleep4" - the process waits 4 s there
Several are separated by commas. The production configuration refuses to start with it set.
"""

from __future__ import annotations

import errno
import os
import signal
import time

VARIABLE = "SPC_FAULT"


def _wanted() -> dict[str, str]:
    raw = os.environ.get(VARIABLE, "")
    return dict(item.split(":", 1) for item in raw.split(",") if ":" in item)


class Injected(RuntimeError):
    """The failure a fault point was asked to raise."""


def point(name: str) -> None:
    action = _wanted().get(name) if VARIABLE in os.environ else None
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    elif action == "error":
        raise Injected(f"fault injected at {name}")
    elif action is not None and action.startswith("sleep"):
        time.sleep(float(action[len("sleep"):] or 5))
