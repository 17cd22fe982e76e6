"""Cost of the audit chain, measured in one run.

Prints: the time ratio of a small write committed with its audit record to the same write
without it (the price of recording in the same transaction under a head-row lock), the
throughput of `audit verify`, and the cost of one password check at production argon2
parameters (what a login costs the server).

    .venv/bin/python benchmarks/audit_chain.py [--writes 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import bench_app  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from coop_platform.audit.services import record, verify  # noqa: E402
from coop_platform.auth.models import User  # noqa: E402
from coop_platform.extensions import db  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_app(Path(tmp), args.database_url) as ctx:
        dialect = ctx[1]
        user = User(email="bench@example.org", role="court", status="active")
        db.session.add(user)
        db.session.commit()

        def plain():
            for i in range(args.writes):
                user.failed_password_count = i
                db.session.commit()

        def audited():
            for i in range(args.writes):
                user.failed_password_count = i
                record("bench.write", actor=user, details={"i": i})
                db.session.commit()

        plain()  # warm up
        t_plain = timed(plain)
        t_audited = timed(audited)
        t_verify = timed(lambda: verify())
        result = verify()
        assert result.ok, result
    ph = PasswordHasher()
    hashed = ph.hash("granite-harbor-willow-meadow-71")
    t_hash = min(timed(lambda: ph.verify(hashed, "granite-harbor-willow-meadow-71"))
                 for _ in range(5))
    print(f"database: {dialect}; {args.writes} committed writes each way")
    print(f"write with audit record / write alone: {t_audited / t_plain:.2f}x "
          f"({t_plain / args.writes * 1e3:.2f} ms -> {t_audited / args.writes * 1e3:.2f} ms)")
    print(f"audit verify: {result.checked / t_verify:,.0f} records/s "
          f"(1M records ~ {1e6 / (result.checked / t_verify):.0f} s)")
    print(f"argon2id verify at production parameters: {t_hash * 1e3:.0f} ms per login")


if __name__ == "__main__":
    main()
