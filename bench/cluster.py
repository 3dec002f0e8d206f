"""Real servers on 127.0.0.1 for the replica tests and the replica benchmark.

* `PostgresServer`: a throw-away PostgreSQL cluster from the Debian `postgresql`
  package. PostgreSQL refuses to run as root, and CI runs as root: then it runs as the
  `postgres` system user (through `runuser`), with its data folder under a fresh
  temporary folder that user owns. fsync is off unless `durable` (the tests throw the
  data away; the benchmark measures a durable server). Starts in about a second.
* `Replica`: one `oms-cds serve` process, restartable on its port.
* `Nginx`: Debian's nginx load-balancing over replicas, with its own prefix folder.

Everything binds to 127.0.0.1 on free ports, logs to files under a temporary folder,
and is stopped by its own process id.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://cds.example.org"
SERVICE = "/cds-services/oms-screening"
AUD = PUBLIC + SERVICE
FEEDBACK_AUD = AUD + "/feedback"
SUPERUSER = "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _bindir() -> Path:
    """The newest installed server's bin folder (`/usr/lib/postgresql/N/bin`)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: make test installs it")
    return found[-1].parent


class PostgresServer:
    """One throw-away cluster; `url(db)` for a database on it, `new_database()` for a fresh one."""

    def __init__(self, *, durable: bool = False) -> None:
        self.bindir = _bindir()
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="oms-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._as: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self._as, *args], check=True, capture_output=True, timeout=timeout, cwd=self.root
        )

    def start(self) -> PostgresServer:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
            "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
        )  # fmt: skip
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.root}",
            "-c max_connections=200",
            "-c shared_buffers=64MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        for attempt in range(3):
            self.port = free_port()
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                    str(self.root / "server.log"), "-w", "-t", "30",
                    "-o", " ".join([f"-p {self.port}", *options]), "start",
                )  # fmt: skip
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise RuntimeError("PostgreSQL did not start:\n" + self.log()) from None
            else:
                return self
        return self

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database's URL (each test gets its own: no state leaks between them)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cut_off(self, database: str) -> None:
        """Refuse new connections to `database` and end the open ones (waits until gone)."""
        self.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        query = f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'"
        deadline = time.monotonic() + 10
        with psycopg.connect(self.url(), autocommit=True) as connection:
            while connection.execute(query.encode()).fetchall():
                connection.execute(
                    f"SELECT pg_terminate_backend(pid) FROM ({query}) AS them".encode()
                )
                if time.monotonic() > deadline:
                    raise RuntimeError("backends did not end")
                time.sleep(0.05)

    def restore(self, database: str) -> None:
        self.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    def execute(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(sql.encode())

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                "stop", timeout=30,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_postgres(*, durable: bool = False) -> Iterator[PostgresServer]:
    server = PostgresServer(durable=durable).start()
    try:
        yield server
    finally:
        server.stop()


class Replica:
    """One `oms-cds serve` process (restartable on the same port)."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "OMS_PORT": str(self.port)}
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Replica:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_ready(self.url, self.process, self.log_path)
        return self

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None


def wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, path: str = "/readyz"
) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited: {log.read_text()[-2000:]}")
            try:
                if client.get(url + path).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready in 60 s: {log.read_text()[-2000:]}")


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log notice;
{user}
events {{ worker_connections 1024; }}
http {{
    log_format upstreaminfo '$status $upstream_addr $upstream_status $request_time';
    access_log {root}/access.log upstreaminfo;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 32m;

{upstream}

    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $http_host;
        proxy_set_header X-Request-Id $request_id;
        proxy_connect_timeout 1s;
        proxy_read_timeout 30s;
        proxy_next_upstream_tries 2;
        proxy_next_upstream_timeout 5s;

        # The hook call spends its token only when it answers (service/api/cds_auth.py),
        # so a call whose replica died before answering is safe to send to the other one.
        location = /cds-services/oms-screening {{
            proxy_pass http://oms_cds;
            proxy_next_upstream error timeout http_502 non_idempotent;
        }}
        # Everything else: a POST that reached a replica is not sent again (feedback spends
        # its token before storing); one that reached none, and any GET, is.
        location / {{
            proxy_pass http://oms_cds;
            proxy_next_upstream error timeout http_502;
        }}
    }}
}}
"""

UPSTREAM = """    upstream oms_cds {{
{servers}
    }}"""


class Nginx:
    """nginx from the Debian package, load-balancing over the replicas' ports."""

    def __init__(self, replica_ports: list[int]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="oms-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;"
            for port in replica_ports
        )
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf = self.root / "nginx.conf"
        self.conf.write_text(
            NGINX_CONF.format(
                root=self.root,
                user=user,
                port=self.port,
                upstream=UPSTREAM.format(servers=servers),
            )
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        with (self.root / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-p", str(self.root), "-c", str(self.conf)],
                stdout=subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip
        wait_ready(self.url, self.process, self.root / "stderr.log", path="/healthz")
        return self

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def access_log(self) -> str:
        """`status upstream-addresses upstream-statuses seconds` a line; a call nginx sent
        to two replicas names both."""
        path = self.root / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)
