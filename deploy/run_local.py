"""`make run`: the development server with the e-mail sender and the search worker beside it.

A worker that exits (killed, or out of memory) is started again after a short wait, as systemd
does for the production units (Restart=always); the server's exit, Ctrl-C or SIGTERM stops
everything. Before this, a search worker that died left new files unindexed until someone
noticed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
WORKERS = {
    "e-mail sender": ["mail", "send", "--loop", "--quiet"],
    "search worker": ["search", "work", "--loop"],
}
RESTART_DELAY = (1.0, 30.0)  # seconds: first wait, longest wait for a worker that keeps dying
SETTLED = 60.0  # a worker that ran this long before stopping starts again at the first wait


def _start(arguments: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*FLASK, *arguments], cwd=ROOT)  # noqa: S603 - our own command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    args = parser.parse_args()
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = {name: _start(command) for name, command in WORKERS.items()}
    started = dict.fromkeys(WORKERS, time.monotonic())
    delays = {name: RESTART_DELAY[0] for name in WORKERS}
    restart_at: dict[str, float] = {}
    server = _start(["run", "--host", "127.0.0.1", "--port", str(args.port)])
    try:
        while not stopping and server.poll() is None:
            for name, process in workers.items():
                code = process.poll()
                if code is None:
                    continue
                now = time.monotonic()
                if name not in restart_at:
                    if now - started[name] > SETTLED:
                        delays[name] = RESTART_DELAY[0]
                    restart_at[name] = now + delays[name]
                    print(f"run: the {name} stopped (exit {code}); starting it again in "
                          f"{delays[name]:.0f} s", file=sys.stderr, flush=True)
                elif now >= restart_at[name]:
                    del restart_at[name]
                    workers[name] = _start(WORKERS[name])
                    started[name] = now
                    delays[name] = min(delays[name] * 2, RESTART_DELAY[1])
            time.sleep(0.2)
    finally:
        for process in [server, *workers.values()]:
            if process.poll() is None:
                process.terminate()
        for process in [server, *workers.values()]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return server.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
