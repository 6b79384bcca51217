"""Real ``portal serve`` (gunicorn) processes on 127.0.0.1 for the tests that need a whole server."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PORTAL = str(Path(sys.executable).with_name("portal"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, token=None, body=None, timeout=60):
    """One HTTP request; ``(status, parsed JSON body or None)``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)
    finally:
        conn.close()


def wait(predicate: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def healthy(port) -> bool:
    try:
        return call(port, "GET", "/healthz", timeout=5)[0] == 200
    except OSError:
        return False


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


@contextmanager
def serve(env: dict[str, str], log_path: Path, workers: int = 1) -> Iterator[tuple[int, subprocess.Popen]]:
    """``portal serve`` with ``env`` until it answers /healthz; yields ``(port, master process)``."""
    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen(
        [PORTAL, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait(lambda: proc.poll() is not None or healthy(port), "the server to start", 240)
        assert proc.poll() is None, log_path.read_text()
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
