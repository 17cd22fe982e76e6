"""gunicorn for the platform, behind nginx on the same host (docs/DEPLOYMENT.md).

    gunicorn --config deploy/gunicorn.conf.py wsgi:app

Values come from the environment where an operator may want another one.
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("SPC_BIND", "127.0.0.1:8000")
# Threads rather than more processes: a worker waiting on PostgreSQL or on a slow client's
# upload (nginx streams uploads through, unbuffered) leaves its other threads serving.
worker_class = "gthread"
workers = int(os.environ.get("SPC_WORKERS", "4"))
threads = int(os.environ.get("SPC_THREADS", "4"))
# A worker silent this long is restarted; a request in a gthread worker may take longer
# (a 100 MiB upload over a slow link) without tripping it.
timeout = int(os.environ.get("SPC_WORKER_TIMEOUT", "120"))
# On SIGTERM or SIGHUP (reload), requests in flight get this long to finish.
graceful_timeout = 30
# nginx keeps connections to the workers open (its upstream block) and closes them after 4 s.
keepalive = 5
# Workers are not recycled after a number of requests: each worker process leaves its
# metrics file behind (below), so recycling would grow them, and a scrape's work, without
# bound. systemd's MemoryMax= (spc-web.service) is the guard against a slow leak.
max_requests = 0
# Only nginx on this host may say which scheme and client address a request came with; the
# app trusts as many X-Forwarded-For hops as SPC_PROXY_COUNT says (1: this nginx).
forwarded_allow_ips = os.environ.get("SPC_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Each worker loads the app and its keys itself (no fork-shared database connections).
preload_app = False
# The app writes one line per request itself (request id, user, State, route, status,
# duration, no query strings): gunicorn's access log would repeat it with the query string.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SPC_GUNICORN_LOGLEVEL", "info")
proc_name = "spc"

# Prometheus counters of every worker, added up at each scrape of /metrics: each worker writes
# its own to a file here (prometheus-client's multiprocess mode). Set before the workers start
# (they import prometheus_client after the fork), emptied when the master starts, so a new run
# starts from zero as Prometheus expects of a restarted target.
metrics_dir = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("SPC_INSTANCE_DIR", Path(__file__).resolve().parent.parent
                            / "instance")) / "metrics")))


def on_starting(server):
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(mode=0o700, parents=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
