"""Load on the production stack, measured in one run: nginx (TLS) → gunicorn (4 workers ×
4 threads) → PostgreSQL and Redis, as deploy/serve_prod.py starts it, driven by Debian's wrk
from the same machine (client and server share its cores).

Pages for a signed-in focal point: the document list, a document page, the download of a
1 MiB file, the comparison page of one question, a search; and /healthz (a bare endpoint of the
same stack) as the ceiling, and the signed-in floor (below). Each at 8, 32 and 64 connections
for --duration seconds: requests per second, p50/p95/p99 latency, errors (connection errors
and non-2xx/3xx answers).

The sign-in (password, then a second-factor code) is measured by a driver in this script: it is
four dependent requests (the form, the password, the code form, the code) with a fresh cookie
each time and a single-use code, which wrk's per-connection Lua cannot chain. Each client
thread signs in as it would in a browser, over its own kept-alive TLS connection, with accounts
from a pool (a code is accepted once per account and 30-second step). The stack's per-address
limits on sign-in are raised for this run only, since every client here shares one address;
they still run, so their cost is in the figures. Its row counts sign-ins, not requests.

Last, the same document list on `make run`'s embedded default (flask's threaded server, SQLite,
Whoosh; plain HTTP) at 16 connections, after the stack has stopped.

    apt-get install wrk nginx
    .venv/bin/python benchmarks/load.py [--duration 30] [--levels 8,32,64]
        [--pages ceiling,floor,list,document,download,comparison,search,sign-in,embedded]
        [--database-url postgresql://…/postgres]

Goals, as ratios measured in the same run: the document list ≥ 60 % of the signed-in floor's
throughput at 32 connections (the floor: a page that loads only the session, the user and the
layout with its navigation — what every signed-in page pays first); 0 errors at every level,
and on the embedded default at 16 connections. (No goal in milliseconds: on a shared 2-core
machine it measures the machine, not the code.)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

import requests  # noqa: E402
import serve_prod  # noqa: E402
from sqlalchemy import select  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from coop_platform import create_app  # noqa: E402
from coop_platform.extensions import db  # noqa: E402

LUA = """
wrk.headers["Cookie"] = os.getenv("SPC_COOKIE")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(session, url):
    return CSRF.search(session.get(url).text).group(1)


@contextmanager
def _demo(database_url: str, directory: Path):
    """The demo content (accounts, documents, answers), made in this process on a stack's
    database, keys and file store (seed-demo is refused by the production configuration):
    France's focal point, inside an app context released afterwards."""
    cfg = DevelopmentConfig()
    cfg.SQLALCHEMY_DATABASE_URI = database_url
    cfg.KEYS_DIR, cfg.INSTANCE_DIR = directory / "keys", directory / "instance"
    with create_app(cfg).app_context():
        from coop_platform.demo.accounts import seed_demo

        yield next(x for x in seed_demo(new_passwords=True) if x.email.startswith("focal.fra"))
        db.session.remove()
        db.engine.dispose()


def _client(stack) -> requests.Session:
    """A browser-like client of the stack (or of anything with a url and a cert, or None)."""
    session = requests.Session()
    session.trust_env, session.verify = False, str(stack.cert) if stack.cert else True
    return session


def _sign_in(stack, email, password, secret, session=None, at=None) -> requests.Session:
    """The browser's four requests: each form, then its answer; a 302 for each answer."""
    from tests.support.rfc6238 import code_for

    session = session or _client(stack)
    for path, data in (("/auth/login", {"email": email, "password": password}),
                       ("/auth/second-factor", {"code": code_for(secret, at)})):
        url = stack.url + path
        answer = session.post(url, data={"csrf_token": _token(session, url), **data},
                              headers={"Referer": url}, allow_redirects=False)
        if answer.status_code != 302:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    return session


def _account_pool(size: int) -> tuple[list[str], str, str]:
    """`size` focal points of France sharing one password and one authenticator key (each
    account still accepts a code once per step): their e-mails, the password, the key."""
    from coop_platform.auth import passwords
    from coop_platform.auth.models import User
    from coop_platform.auth.services.common import encrypt_totp_secret
    from coop_platform.auth.totp import new_secret
    from coop_platform.core.clock import utcnow
    from coop_platform.states.models import State

    password, secret = "load benchmark passphrase " + uuid.uuid4().hex[:8], new_secret()
    hashed = passwords.hash_password(password)  # once: the same cost parameters as the stack
    france = db.session.scalars(select(State).where(State.iso3 == "FRA")).one()
    emails = []
    for n in range(size):
        user = User(email=f"load.{n:05d}@example.org", role="focal_point", state=france,
                    display_name=f"Load {n}", status="active", activated_at=utcnow(),
                    password_hash=hashed, password_changed_at=utcnow())
        db.session.add(user)
        db.session.flush()
        user.totp_secret = encrypt_totp_secret(user, secret)
        emails.append(user.email)
    db.session.commit()
    return emails, password, secret


def _sign_in_load(stack, pool, clients: int, duration: int) -> dict:
    """`clients` threads signing in again and again for `duration` seconds. Each sign-in takes
    an account never used before in this run: a code is accepted once per account and step,
    and a sign-in slowed past the end of its step must not meet the same account's newer
    code already used by another client (that is a replay, rightly refused)."""
    emails, password, secret = pool
    lock, latencies, errors, ran_out = threading.Lock(), [], [0], []
    deadline = time.monotonic() + duration

    def account() -> tuple[str, float] | None:
        with lock:
            return (emails.pop(), time.time()) if emails else None

    def run_client() -> None:
        session = _client(stack)
        while time.monotonic() < deadline:
            picked = account()
            if picked is None:
                ran_out.append(True)
                return
            session.cookies.clear()
            started = time.perf_counter()
            try:
                _sign_in(stack, picked[0], password, secret, session=session, at=picked[1])
            except (RuntimeError, requests.RequestException) as error:
                with lock:
                    errors[0] += 1
                    if errors[0] == 1:
                        print(f"first sign-in error: {error}", file=sys.stderr)
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=run_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if ran_out:
        raise SystemExit("the account pool ran out: make it larger")
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {"rps": len(latencies) / elapsed, "p50": cuts[49] * 1e6, "p95": cuts[94] * 1e6,
            "p99": cuts[98] * 1e6, "errors": errors[0], "bad_status": 0}


def _upload(stack, session) -> tuple[str, str]:
    """A 1 MiB text document of the focal point's State: (document page, download path)."""
    url = stack.url + "/documents/new"
    body = ("Procedure for freezing assets at the request of the Court. " * 18_000)[:1 << 20]
    answer = session.post(url, headers={"Referer": url}, allow_redirects=False, data={
        "csrf_token": _token(session, url), "title": "Load test document",
        "summary": "One mebibyte of text.", "document_type": "procedure",
        "topics": ["freezing"], "language": "en", "classification": "restricted",
        "audience": "all_states"}, files={"file": ("procedure.txt", io.BytesIO(body.encode()),
                                                    "text/plain")})
    assert answer.status_code == 303, answer.status_code
    page = answer.headers["Location"].replace(stack.url, "")
    text = session.get(stack.url + page).text
    download = re.search(r'href="(/documents/[^"]+/download)"', text).group(1)
    return page, download


def _wrk(base_url: str, cookie: str, path: str, connections: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        out = subprocess.run(
            [shutil.which("wrk") or "/usr/bin/wrk", "-t2", f"-c{connections}",
             f"-d{duration}s", "--timeout", "10s", "-s", script.name, base_url + path],
            env={**os.environ, "SPC_COOKIE": cookie}, capture_output=True, text=True,
            check=True).stdout
    finally:
        os.unlink(script.name)
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--levels", default="8,32,64")
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="which rows to measure, comma-separated")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="where to create a throw-away database (its server, any name)")
    args = parser.parse_args()
    base = args.database_url.rpartition("/")[0]
    name = f"spc_load_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        stack = serve_prod.Stack(Path(tmp), f"{base}/{name}", redis_url="redis://127.0.0.1:6379/13",
                                 http_port=18180, https_port=18543, app_port=18100,
                                 extra_env={"SPC_THREADS": str(args.threads)})
        if "sign-in" in args.pages.split(","):
            stack.extra_env.update({"SPC_LOGIN_RATE_LIMIT": "1000000 per minute",
                                    "SPC_CODE_ADDRESS_RATE_LIMIT": "1000000 per minute"})
        serve_prod.start(stack)
        try:
            run(stack, args)
        finally:
            serve_prod.stop(stack)
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if "embedded" in args.pages.split(","):
        embedded(args)


# The signed-in floor: a page that loads only the session, the user and the layout with its
# navigation (the form to change one's password, not submitted): what every signed-in page
# pays before its own work, so the ceiling for them.
FLOOR = "/auth/account/password"
PAGES = ("ceiling", "floor", "list", "document", "download", "comparison", "search", "sign-in",
         "embedded")
EMBEDDED_PORT = 18200
EMBEDDED_CONNECTIONS = 16


def embedded(args) -> None:
    """The document list on `make run`'s embedded default (flask's own threaded server,
    SQLite, the Whoosh index, all under a fresh instance folder) at 16 connections."""
    with tempfile.TemporaryDirectory() as tmp:
        target = SimpleNamespace(url=f"http://127.0.0.1:{EMBEDDED_PORT}", cert=None)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPC_")}
        env.update({"SPC_INSTANCE_DIR": f"{tmp}/instance", "SPC_KEYS_DIR": f"{tmp}/keys",
                    "SPC_PUBLIC_BASE_URL": target.url})
        flask = [str(serve_prod.BIN / "flask"), "--app", "wsgi"]
        for command in (["keys", "init"], ["db", "upgrade"], ["states", "load"],
                        ["questionnaires", "load"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with _demo(f"sqlite:///{tmp}/instance/platform.db", Path(tmp)) as fra:
            pass  # seeded, and the database let go before the server opens it
        with open(Path(tmp) / "server.log", "wb") as log:
            server = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port",
                                               str(EMBEDDED_PORT)],
                                      cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if requests.get(target.url + "/healthz", timeout=2).ok:
                            break
                    except requests.ConnectionError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the embedded server did not start")
                    time.sleep(0.3)
                session = _sign_in(target, fra.email, fra.password, fra.totp_secret)
                cookie = f"spc_session={session.cookies['spc_session']}"
                r = _wrk(target.url, cookie, "/documents/", EMBEDDED_CONNECTIONS, args.duration)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(f"{'list, make run':<18} {EMBEDDED_CONNECTIONS:>5} {r['rps']:>9.0f} "
          f"{r['p50'] / 1000:>8.1f} {r['p95'] / 1000:>8.1f} {r['p99'] / 1000:>8.1f} "
          f"{r['errors'] + r['bad_status']:>7}", flush=True)


def run(stack, args) -> None:
    with _demo(stack.database_url, stack.directory) as fra:
        from coop_platform.questionnaires.models import Questionnaire

        qid = db.session.scalar(select(Questionnaire.public_id))
        # One account per sign-in of the whole run: the stack's password hashing bounds it to
        # a few dozen a second, so a few thousand are plenty.
        pool = _account_pool(3000) if "sign-in" in args.pages.split(",") else None
    session = _sign_in(stack, fra.email, fra.password, fra.totp_secret)
    document, download = _upload(stack, session)
    cookie = f"spc_session={session.cookies['spc_session']}"
    every = {"ceiling": ("ceiling: /healthz", "/healthz"),
             "floor": ("signed-in floor", FLOOR),
             "embedded": None,
             "list": ("document list", "/documents/"),
             "document": ("document page", document),
             "download": ("download 1 MiB", download),
             "comparison": ("comparison D.3", f"/questionnaires/{qid}/compare/D.3"),
             "search": ("search 'freezing'", "/search?q=freezing"),
             "sign-in": ("sign-in (4 req.)", None)}
    chosen = args.pages.split(",")
    unknown = set(chosen) - set(every)
    if unknown:
        raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))}; choose from {', '.join(every)}")
    # "embedded" runs after the stack has stopped (main).
    pages = dict(every[key] for key in every if key in chosen and every[key] is not None)
    for path in pages.values():  # each answers 200 to this session before it is measured
        if path is not None:
            assert session.get(stack.url + path, allow_redirects=False).status_code == 200, path
    levels = [int(n) for n in args.levels.split(",")]
    print(f"stack: nginx → gunicorn {stack.workers} workers × {args.threads} threads → "
          "PostgreSQL, Redis; "
          f"wrk 2 threads, {args.duration} s per run, same machine ({os.cpu_count()} cores)")
    print(f"{'page':<18} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'of ceiling':>10} {'of floor':>8}")
    ceiling: dict[int, float] = {}
    floor: dict[int, float] = {}
    listed: dict[int, float] = {}
    for name, path in pages.items():
        for connections in levels:
            r = (_wrk(stack.url, cookie, path, connections, args.duration) if path is not None
                 else _sign_in_load(stack, pool, connections, args.duration))
            if name.startswith("ceiling"):
                ceiling[connections] = r["rps"]
            if name == "signed-in floor":
                floor[connections] = r["rps"]
            if name == "document list":
                listed[connections] = r["rps"]
            share = r["rps"] / ceiling[connections] if ceiling.get(connections) else 0
            of_floor = r["rps"] / floor[connections] if floor.get(connections) else 0
            print(f"{name:<18} {connections:>5} {r['rps']:>9.0f} {r['p50'] / 1000:>8.1f} "
                  f"{r['p95'] / 1000:>8.1f} {r['p99'] / 1000:>8.1f} "
                  f"{r['errors'] + r['bad_status']:>7} {share:>9.0%} {of_floor:>8.0%}", flush=True)
    if floor.get(32) and "document list" in pages:
        print(f"goal: the document list ≥ 60 % of the signed-in floor at 32 connections: see "
              f"the 'of floor' column ({'met' if listed.get(32, 0) >= 0.6 * floor[32] else 'NOT met'})")


if __name__ == "__main__":
    main()
