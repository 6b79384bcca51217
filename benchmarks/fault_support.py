"""Shared helpers of the by-hand scripts: a throw-away portal instance and its gunicorn server.

Everything listens on 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = str(ROOT / ".venv" / "bin" / "portal")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BENCH = Path(os.environ.get("PORTAL_BENCH_DATA", ROOT.parent / "shared" / "bench"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_env(instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({"PORTAL_INSTANCE_DIR": str(instance), "PORTAL_SEMANTIC": "off", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def portal(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 3600) -> str:
    """Run a ``portal`` command; raise with its output when it fails."""
    proc = subprocess.run(
        [PORTAL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"portal {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc.stdout


def portal_rc(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 3600
) -> tuple[int, str]:
    proc = subprocess.run(
        [PORTAL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr


class Server:
    """``portal serve`` in its own process group, stopped on exit."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        workers: int = 2,
        log: Path | None = None,
        database_pids: Callable[[], list[int]] = list,
    ):
        self.env, self.port, self.workers = env, port, workers
        # A database server's processes (PostgreSQL): their CPU is part of what a request costs.
        self.database_pids = database_pids
        self.log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        self.proc = subprocess.Popen(
            [
                PORTAL,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"portal serve exited with {self.proc.returncode}")
            try:
                status, _ = request(self.port, "GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("portal serve did not answer /healthz in time")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=30)
        self.log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PostgresServer:
    """A PostgreSQL cluster of Debian's ``postgresql`` package on 127.0.0.1, its data kept in ``datadir``
    (so a prepared instance survives between runs), stopped on exit. Durability settings are PostgreSQL's
    defaults: a benchmark of the production setup, unlike the CI pass, which turns fsync off."""

    def __init__(self, datadir: Path, port: int):
        self.datadir, self.port = datadir, port
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda b: int(b.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed: tools/system-packages.sh postgresql")
        self.bin = bins[-1]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://portal@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        # initdb and the server refuse to run as root: run them as the package's postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def __enter__(self) -> PostgresServer:
        if not (self.datadir / "PG_VERSION").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                subprocess.run(["chown", "-R", "postgres:postgres", str(self.datadir)], check=True)
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "portal",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.datadir} -c max_connections=100"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        return self

    def pids(self) -> list[int]:
        """The postmaster and its children (one backend per pooled connection, the background writers)."""
        postmaster = int((self.datadir / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        )
        return [postmaster, *(int(p) for p in children.stdout.split())]

    def __exit__(self, *exc) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")


def request(port: int, method: str, path: str, body=None, token: str | None = None, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw
    finally:
        conn.close()


def create_user_with_token(env: dict[str, str], name: str, *roles: str) -> str:
    args = ["create-user", name, "--password-stdin"]
    for role in roles:
        args += ["--role", role]
    rc, out = portal_rc(env, *args, stdin=secrets.token_urlsafe(16) + "\n")
    if rc != 0 and "already taken" not in out:
        raise RuntimeError(out)
    return portal(env, "create-token", name).strip().splitlines()[-1].strip()


def log_line(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
