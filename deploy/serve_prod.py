"""`make serve-prod`: the production stack on this machine, as docs/DEPLOYMENT.md deploys it.

nginx (TLS with a self-signed certificate, HTTP redirected, static files from disk, uploads
streamed through) → gunicorn (deploy/gunicorn.conf.py: 4 workers) → the machine's PostgreSQL
and Redis, with the e-mail sender and the search worker beside them. Everything it writes is under
instance/serve-prod/. The stack tests start it the same way (tests/stack/).

    .venv/bin/python deploy/serve_prod.py [--https-port 8443] [--http-port 8080]
        [--database-url postgresql://postgres@127.0.0.1:5432/spc_prod]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import shutil
import signal
import ssl
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Stack:
    directory: Path
    database_url: str
    redis_url: str = "redis://127.0.0.1:6379/0"
    http_port: int = 8080
    https_port: int = 8443
    app_port: int = 8000
    workers: int = 4
    max_upload_mb: int = 100
    # Requests nginx sends down one kept connection to gunicorn before opening a new one
    # (nginx's default). The stack tests set 1: each request then reaches whichever worker
    # the kernel hands its new connection to, so sequential requests spread over the workers.
    upstream_requests_per_connection: int = 1000
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)
    log: object = None  # the processes' shared log file, closed by stop()

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def cert(self) -> Path:
        return self.directory / "tls" / "cert.pem"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPC_")}
        env.update({
            "SPC_CONFIG": "production",
            "SPC_DATABASE_URL": self.database_url,
            "SPC_RATELIMIT_STORAGE_URI": self.redis_url,
            "SPC_PUBLIC_BASE_URL": self.url,
            "SPC_PROXY_COUNT": "1",
            "SPC_INSTANCE_DIR": str(self.directory / "instance"),
            "SPC_KEYS_DIR": str(self.directory / "keys"),
            "SPC_BIND": f"127.0.0.1:{self.app_port}",
            "SPC_WORKERS": str(self.workers),
            "SPC_MAX_UPLOAD_MB": str(self.max_upload_mb),
        })
        env.update(self.extra_env)
        return env


def self_signed(cert: Path, key: Path) -> None:
    """A certificate for localhost and 127.0.0.1, valid for 30 days (a real host uses its
    CA's, see docs/DEPLOYMENT.md)."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # Strict verifiers (urllib3 2, Python 3.13) want the key identifiers and usages.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            private.public_key()), critical=False)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(private, hashes.SHA256()))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key.chmod(0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def render_site(stack: Stack) -> str:
    """deploy/nginx/spc.conf.template with this stack's values; refuses to leave a
    placeholder unfilled."""
    template = (ROOT / "deploy" / "nginx" / "spc.conf.template").read_text(encoding="utf-8")
    values = {
        "SERVER_NAME": "localhost", "HTTP_PORT": str(stack.http_port),
        "HTTPS_PORT": str(stack.https_port),
        "HTTPS_SUFFIX": "" if stack.https_port == 443 else f":{stack.https_port}",
        "TLS_CERT": str(stack.cert), "TLS_KEY": str(stack.directory / "tls" / "key.pem"),
        "MAX_BODY_MB": str(stack.max_upload_mb + 1), "STATIC_DIR": str(ROOT / "static"),
        "UPSTREAM": f"127.0.0.1:{stack.app_port}",
        "UPSTREAM_REQUESTS_PER_CONNECTION": str(stack.upstream_requests_per_connection),
        "ACCESS_LOG": str(stack.directory / "nginx" / "access.log"),
    }
    site = string.Template(template).safe_substitute(values)
    missing = [name for name in values if "${" + name + "}" in site]
    if "${" in site or missing:
        raise SystemExit(f"nginx template: unfilled placeholder in {site[site.index('${'):][:40]}")
    return site


def nginx_conf(stack: Stack) -> Path:
    """A whole nginx.conf for a private nginx (its own pid, logs and temporary files)."""
    base = stack.directory / "nginx"
    for sub in ("spool/body", "spool/proxy", "spool/fastcgi", "spool/uwsgi", "spool/scgi"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "spc.conf").write_text(render_site(stack), encoding="utf-8")
    conf = base / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(f"""{user}worker_processes 2;
pid {base}/nginx.pid;
error_log {base}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;  # the site logs in its own format (no secrets)
    client_body_temp_path {base}/spool/body;
    proxy_temp_path {base}/spool/proxy;
    fastcgi_temp_path {base}/spool/fastcgi;
    uwsgi_temp_path {base}/spool/uwsgi;
    scgi_temp_path {base}/spool/scgi;
    sendfile on;
    include {base}/spc.conf;
}}
""", encoding="utf-8")
    return conf


def _flask(stack: Stack, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=stack.env(),
                   check=True, stdout=subprocess.DEVNULL)


def create_database(url: str) -> None:
    """The database named in the URL, created if missing (the machine's PostgreSQL)."""
    import psycopg

    base, _, name = url.rpartition("/")
    admin_url = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # the name comes from the operator


def prepare(stack: Stack) -> None:
    stack.directory.mkdir(parents=True, exist_ok=True)
    if not stack.cert.exists():
        self_signed(stack.cert, stack.directory / "tls" / "key.pem")
    create_database(stack.database_url)
    _flask(stack, "keys", "init")
    _flask(stack, "db", "upgrade")
    _flask(stack, "states", "load")
    _flask(stack, "questionnaires", "load")


def _wait_ready(stack: Stack, timeout: float = 60) -> None:
    context = ssl.create_default_context(cafile=str(stack.cert))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{stack.url}/healthz", context=context, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise SystemExit("the stack did not answer /healthz in time; see "
                                 f"{stack.directory}/nginx/error.log") from None
            if any(p.poll() is not None for p in stack.processes):
                raise SystemExit("a process of the stack stopped at start") from None
            time.sleep(0.3)


def start(stack: Stack) -> Stack:
    prepare(stack)
    try:
        _start_processes(stack)
    except BaseException:
        stop(stack)
        raise
    return stack


def _start_processes(stack: Stack) -> None:
    env = stack.env()
    log = stack.log = open(stack.directory / "app.log", "ab")  # noqa: SIM115 (stop() closes it)
    stack.processes.append(subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log))
    stack.processes.append(subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "mail", "send", "--loop", "--quiet"], cwd=ROOT,
        env=env, stdout=log, stderr=log))
    stack.processes.append(subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "search", "work", "--loop"], cwd=ROOT,
        env=env, stdout=log, stderr=log))
    conf = nginx_conf(stack)
    stack.processes.append(subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(stack.directory / "nginx"), "-g", "daemon off;"],
        cwd=ROOT, stdout=log, stderr=log))
    _wait_ready(stack)


def stop(stack: Stack) -> None:
    """SIGTERM for a graceful stop (gunicorn lets requests finish), then wait."""
    for process in stack.processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if "nginx" not in process.args[0]
                                else signal.SIGQUIT)
    for process in stack.processes:
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
    stack.processes.clear()
    if stack.log is not None:
        stack.log.close()
        stack.log = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--app-port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url",
                        default=os.environ.get("SPC_DATABASE_URL",
                                               "postgresql://postgres@127.0.0.1:5432/spc_prod"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    stack = Stack(ROOT / "instance" / "serve-prod", args.database_url, args.redis_url,
                  args.http_port, args.https_port, args.app_port, args.workers)
    start(stack)
    print(f"serving {stack.url} (self-signed certificate: {stack.cert}); Ctrl-C stops.")
    print("First administrator: SPC_CONFIG=production ... flask --app wsgi users invite "
          "EMAIL --role admin (see docs/DEPLOYMENT.md).")
    try:
        while all(p.poll() is None for p in stack.processes):
            time.sleep(1)
        print("a process of the stack stopped; stopping the others", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stop(stack)


if __name__ == "__main__":
    main()
