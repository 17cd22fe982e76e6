"""Load on the production stack, measured in one run: nginx (TLS) → gunicorn (4 workers ×
4 threads) → PostgreSQL and Redis, as deploy/serve_prod.py starts it, driven by Debian's wrk
from the same machine (client and server share its cores).

Pages for a signed-in focal point: the document list, a document page, the download of a
1 MiB file, the comparison page of one question; and /healthz (a bare endpoint of the same
stack) as the ceiling. Each at 8, 32 and 64 connections for --duration seconds: requests per
second, p50/p95/p99 latency, errors (connection errors and non-2xx/3xx answers).

    apt-get install wrk nginx
    .venv/bin/python benchmarks/load.py [--duration 30] [--database-url postgresql://…/postgres]

Goals (issue 11): list page p95 ≤ 50 ms at 32 connections and ≥ 40 % of the ceiling's
throughput; 0 errors at every level.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

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


def _sign_in(stack, email, password, secret) -> requests.Session:
    from tests.support.rfc6238 import code_for

    session = requests.Session()
    session.trust_env, session.verify = False, str(stack.cert)
    for path, data in (("/auth/login", {"email": email, "password": password}),
                       ("/auth/second-factor", {"code": code_for(secret)})):
        url = stack.url + path
        answer = session.post(url, data={"csrf_token": _token(session, url), **data},
                              headers={"Referer": url}, allow_redirects=False)
        assert answer.status_code == 302, (path, answer.status_code)
    return session


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


def _wrk(stack, cookie: str, path: str, connections: int, duration: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        out = subprocess.run(
            [shutil.which("wrk") or "/usr/bin/wrk", "-t2", f"-c{connections}",
             f"-d{duration}s", "--timeout", "10s", "-s", script.name, stack.url + path],
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
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="where to create a throw-away database (its server, any name)")
    args = parser.parse_args()
    base = args.database_url.rpartition("/")[0]
    name = f"spc_load_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        stack = serve_prod.Stack(Path(tmp), f"{base}/{name}", redis_url="redis://127.0.0.1:6379/13",
                                 http_port=18180, https_port=18543, app_port=18100)
        serve_prod.start(stack)
        try:
            run(stack, args)
        finally:
            serve_prod.stop(stack)
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(stack, args) -> None:
    # The demo content (accounts, documents, answers), made in this process on the stack's
    # database, keys and file store (seed-demo is refused by the production configuration).
    cfg = DevelopmentConfig()
    cfg.SQLALCHEMY_DATABASE_URI = stack.database_url
    cfg.KEYS_DIR, cfg.INSTANCE_DIR = stack.directory / "keys", stack.directory / "instance"
    app = create_app(cfg)
    with app.app_context():
        from coop_platform.admin.demo import seed_demo
        from coop_platform.questionnaires.models import Questionnaire

        fra = next(x for x in seed_demo(new_passwords=True) if x.email.startswith("focal.fra"))
        qid = db.session.scalar(select(Questionnaire.public_id))
        db.session.remove()
        db.engine.dispose()
    session = _sign_in(stack, fra.email, fra.password, fra.totp_secret)
    document, download = _upload(stack, session)
    cookie = f"spc_session={session.cookies['spc_session']}"
    pages = {"ceiling: /healthz": "/healthz", "document list": "/documents/",
             "document page": document, "download 1 MiB": download,
             "comparison D.3": f"/questionnaires/{qid}/compare/D.3"}
    for path in pages.values():  # each answers 200 to this session before it is measured
        assert session.get(stack.url + path, allow_redirects=False).status_code == 200, path
    levels = [int(n) for n in args.levels.split(",")]
    print(f"stack: nginx → gunicorn {stack.workers} workers × 4 threads → PostgreSQL, Redis; "
          f"wrk 2 threads, {args.duration} s per run, same machine ({os.cpu_count()} cores)")
    print(f"{'page':<18} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'of ceiling':>10}")
    ceiling = {}
    for name, path in pages.items():
        for connections in levels:
            r = _wrk(stack, cookie, path, connections, args.duration)
            if name.startswith("ceiling"):
                ceiling[connections] = r["rps"]
            share = r["rps"] / ceiling[connections] if ceiling.get(connections) else 0
            print(f"{name:<18} {connections:>5} {r['rps']:>9.0f} {r['p50'] / 1000:>8.1f} "
                  f"{r['p95'] / 1000:>8.1f} {r['p99'] / 1000:>8.1f} "
                  f"{r['errors'] + r['bad_status']:>7} {share:>9.0%}", flush=True)


if __name__ == "__main__":
    main()
