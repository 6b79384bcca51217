"""Browser journeys against the real server: `portal init` on a fresh instance, users of every role made with
`portal create-user`, `portal serve` (gunicorn, 2 workers) on 127.0.0.1, and Debian's chromium driven by
Playwright. Nothing is installed at run time: Playwright's own browser download is never used.

Every page opened through ``open_page`` is watched: a JavaScript console error (CSP violations included),
an uncaught page error, a 5xx response, or English interface text on a Chinese page (checked by ``shot``)
fails the test that caused it, after the test has run to its end so that one run lists every problem.
Screenshots go to test-output/screenshots/ (FAILED-*.png for the pages of a failed test), the server's log
to test-output/e2e-server-<worker>.log.

Run them alone with ``.venv/bin/pytest -m e2e`` (they are part of ``make test``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.support import (
    ACTION_TIMEOUT_MS,
    DESKTOP,
    EXPECT_TIMEOUT_MS,
    NAVIGATION_TIMEOUT_MS,
    OUTPUT_DIR,
    PHONE,
    ROOT,
    SCREENSHOT_DIR,
    SEED_ARTICLES,
    USERS,
    login,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def _portal_executable() -> Path:
    """The repository's own console script, so the server runs the code under test."""
    for candidate in (ROOT / ".venv" / "bin" / "portal", Path(sys.executable).parent / "portal"):
        if candidate.exists():
            return candidate
    pytest.fail("no `portal` console script in .venv/bin; run `make install` first")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """The running portal: its address, the environment of its instance, and the CLI against that instance."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    instance_dir: Path

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(_portal_executable()), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=300,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"portal {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def cli_start(self, *args: str) -> subprocess.Popen:
        """Start a CLI command without waiting; ``child.communicate(stdin)`` finishes it."""
        child = subprocess.Popen(
            [str(_portal_executable()), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )
        return child

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _create_postgres_database() -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_e2e_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), drop


def _wait_until_healthy(proc: subprocess.Popen, url: str, server: Server, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"portal serve exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)  # polling a starting process; the browser tests themselves never sleep
    pytest.fail(f"portal serve did not answer {url} within {timeout:.0f} s:\n{server.log_tail()}")


def _prepare_instance(server: Server) -> None:
    """`portal init`, then the users of every role and the published seed articles, side by side (each
    command is a process importing the whole app), all before gunicorn starts: its workers build their
    search index from the database."""
    server.cli("init")
    seed_file = server.instance_dir / "seed-articles.jsonl"
    seed_file.write_text(
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in SEED_ARTICLES), encoding="utf-8"
    )
    commands: list[tuple[list[str], str | None]] = [(["import-articles", str(seed_file), "--publish"], None)]
    for user in USERS.values():
        args = ["create-user", user.username, "--password-stdin", "--display-name", user.display_name]
        for role in user.roles:
            args += ["--role", role]
        if user.team:
            args += ["--team", user.team]
        commands.append((args, user.password + "\n"))
    running = [(args, server.cli_start(*args), stdin) for args, stdin in commands]
    for args, child, stdin in running:
        out, err = child.communicate(stdin, timeout=300)
        if child.returncode != 0:
            pytest.fail(f"portal {' '.join(args)} failed ({child.returncode}):\n{out}\n{err}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory) -> Iterator[Server]:
    """A fresh instance served by gunicorn on 127.0.0.1, with one user of every role (see support.USERS)."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    drop_database = None
    if PG_URL:
        database_url, drop_database = _create_postgres_database()
    else:
        database_url = f"sqlite:///{instance / 'portal.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_INSTANCE_DIR=str(instance),
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INDEX_DIR=str(instance / "index"),
        PORTAL_SECRET_KEY=secrets.token_hex(32),
        PYTHONUNBUFFERED="1",
    )
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    port = _free_port()
    server = Server(f"http://127.0.0.1:{port}", env, OUTPUT_DIR / f"e2e-server-{worker}.log", instance)
    proc = None
    try:
        _prepare_instance(server)
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        with server.log_path.open("w") as log:
            proc = subprocess.Popen(
                [str(_portal_executable()), *serve],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a hung stop can reach the workers too
            )
        _wait_until_healthy(proc, f"{server.base_url}/healthz", server)
        yield server
    finally:
        if proc is not None:
            _stop(proc)
        if drop_database is not None:
            drop_database()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserProblems:
    """Console errors, uncaught page errors and server errors seen by the pages of one test.

    Two console messages are not problems: Chromium's report of a document that answered 4xx on purpose
    (a form re-shown with 400/401/409 is how the portal says "fix this"), and of the ``/favicon.ico`` the
    browser asks for by itself when a page declares no icon.
    """

    def __init__(self, server: Server):
        self.server = server
        self.console: list[tuple[str, str, str]] = []  # (page url, text, url of the failing resource)
        self.other: list[str] = []
        self.intended_4xx_documents: set[str] = set()

    def watch(self, page: Page) -> None:
        def on_console(message) -> None:
            if message.type == "error":
                self.console.append((page.url, message.text, (message.location or {}).get("url", "")))

        def on_response(response) -> None:
            if response.status >= 500:
                self.other.append(f"HTTP {response.status} from {response.request.method} {response.url}")
            elif response.status >= 400 and response.request.resource_type == "document":
                self.intended_4xx_documents.add(response.url)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.other.append(f"page error on {page.url}: {error}"))
        page.on("response", on_response)

    @property
    def items(self) -> list[str]:
        found = list(self.other)
        for page_url, text, resource in self.console:
            expected = resource in self.intended_4xx_documents or urlsplit(resource).path == "/favicon.ico"
            if text.startswith("Failed to load resource") and expected:
                continue
            found.append(f"console error on {page_url}: {text}" + (f" ({resource})" if resource else ""))
        return found

    def report(self) -> str:
        items = self.items
        text = "\n".join(items)
        if any(item.startswith("HTTP 5") for item in items):
            text += f"\n--- server log (tail) ---\n{self.server.log_tail()}"
        return text


@pytest.fixture
def browser_problems(portal_server) -> BrowserProblems:
    return BrowserProblems(portal_server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a browser test that left a console error, page error or 5xx behind, even if its checks passed."""
    problems = item.funcargs.get("browser_problems")
    try:
        result = yield
    except BaseException as exc:
        if problems is not None and problems.items:
            exc.add_note("browser problems during this test:\n" + problems.report())
        raise
    if problems is not None and problems.items:
        pytest.fail("browser problems during this test:\n" + problems.report(), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def open_page(request, browser, portal_server, browser_problems) -> Iterator[Callable[..., Page]]:
    """``open_page(role=None, phone=False)``: a page in a fresh browser context (its own cookies), watched
    for console errors, logged in as ``role`` through the login form when one is given."""
    contexts = []
    for stale in SCREENSHOT_DIR.glob(f"FAILED-{request.node.name}-*.png"):
        stale.unlink(missing_ok=True)

    def _open(role: str | None = None, *, phone: bool = False) -> Page:
        context = browser.new_context(
            base_url=portal_server.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **(PHONE if phone else DESKTOP),
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        browser_problems.watch(page)
        page.e2e_report_problem = browser_problems.other.append
        if role is not None:
            login(page, role)
        return page

    yield _open
    failed = getattr(request.node, "e2e_failed", False)
    for number, context in enumerate(contexts):
        if failed:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            for index, page in enumerate(context.pages):
                path = SCREENSHOT_DIR / f"FAILED-{request.node.name}-{number}-{index}.png"
                try:
                    page.screenshot(path=str(path), full_page=True)
                except Exception as exc:  # a crashed page must not hide the test's own failure
                    print(f"no screenshot of {page.url}: {exc}")
        context.close()


@pytest.fixture
def page(open_page) -> Page:
    """A desktop (1280 px) page, not logged in."""
    return open_page()
