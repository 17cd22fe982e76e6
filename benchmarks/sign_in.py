"""Sign-in through the pages: the password step and the code step, as a person goes through
them (the form read, its CSRF token posted back), on SQLite, for a number of accounts that
each sign in once (a code is accepted once per account).

Prints the median of each step and of the whole, in ms. Used by `before_after.py --script
benchmarks/sign_in.py` to compare a revision with this tree (issue 20: people are found by a
keyed hash of their address, their names and addresses sealed; goal within 1.2x).

    .venv/bin/python benchmarks/sign_in.py [--accounts 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app  # noqa: E402
from sqlalchemy import select  # noqa: E402

from coop_platform.auth import passwords, totp  # noqa: E402
from coop_platform.auth.models import User  # noqa: E402
from coop_platform.auth.services.common import encrypt_totp_secret  # noqa: E402
from coop_platform.extensions import db, limiter  # noqa: E402
from coop_platform.states.models import State  # noqa: E402
from coop_platform.states.services import load_states  # noqa: E402
from tests.support.rfc6238 import code_for  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a throw-away account's


def _post(app, client, path: str, data: dict):
    # Each request in an app context of its own, as in a server: the benchmark holds one
    # open, and requests would share its `g` (and a form's token from before sign-in).
    with app.app_context():
        token = CSRF.search(client.get(path).get_data(as_text=True)).group(1)
    with app.app_context():
        return client.post(path, data={"csrf_token": token, **data})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_app(Path(tmp), None) as (app, _dialect):
        limiter.enabled = False  # thirty sign-ins from one address in a minute are the point
        load_states()
        accounts = []
        digest = passwords.hash_password(PASSWORD)
        france = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
        for n in range(args.accounts):
            secret = totp.new_secret()
            user = User(email=f"focal.point{n}@justice.example.org", role="focal_point",
                        state=france, status="active", password_hash=digest,
                        display_name=f"Person {n}")
            db.session.add(user)
            db.session.flush()
            user.totp_secret = encrypt_totp_secret(user, secret)
            accounts.append((f"focal.point{n}@justice.example.org", secret))
        db.session.commit()
        db.session.remove()
        steps: dict[str, list[float]] = {"password": [], "code": [], "whole": []}
        for email, secret in accounts:
            client = app.test_client()
            started = time.perf_counter()
            first = _post(app, client, "/auth/login", {"email": email, "password": PASSWORD})
            middle = time.perf_counter()
            second = _post(app, client, "/auth/second-factor", {"code": code_for(secret)})
            ended = time.perf_counter()
            if first.status_code != 302 or second.status_code != 302 or \
                    "second-factor" in second.headers["Location"]:
                raise SystemExit(f"{email} was not signed in: {first.status_code}, "
                                 f"{second.status_code}")
            steps["password"].append(middle - started)
            steps["code"].append(ended - middle)
            steps["whole"].append(ended - started)
    print(f"sign-in of {args.accounts} accounts, median ms")
    for step, times in steps.items():
        print(f"{step:<10} {statistics.median(times) * 1000:>8.1f}")


if __name__ == "__main__":
    main()
