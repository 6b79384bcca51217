"""Two administrators who step down at the same moment, each through the user form of a real ``portal
serve`` (two worker processes): at most one may succeed, the other is refused with 400 (never a 500), and
the portal always keeps an active administrator. On SQLite, and on PostgreSQL in the second pass."""

from __future__ import annotations

import http.cookiejar
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from sqlmodel import select

from portal.models import Role, User, UserRole
from tests.factories import make_user
from tests.factories.users import DEFAULT_PASSWORD
from tests.serving import serve

ROUNDS = 6
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them; answers are ``(status, body)``."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, form: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def csrf(self, path: str) -> str:
        status, page = self.request(path)
        assert status == 200, (path, status)
        match = _CSRF.search(page)
        assert match, page[:500]
        return match.group(1) or match.group(2)

    def log_in(self, username: str) -> None:
        token = self.csrf("/login")
        status, _ = self.request(
            "/login", {"username": username, "password": DEFAULT_PASSWORD, "csrf_token": token}
        )
        assert status == 302, status


def _active_admins(db) -> set[str]:
    db.expire_all()
    rows = db.exec(
        select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.is_active == True)  # noqa: E712
    ).all()
    return set(rows)


def test_two_admins_stepping_down_at_once_leave_one_admin(app, db, database_url, tmp_path):
    admins = [make_user(db, "race_a", ("admin",)), make_user(db, "race_b", ("admin",))]
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=str(tmp_path / "node"),
        PORTAL_INDEX_DIR=str(tmp_path / "node" / "index"),
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    outcomes = []
    with serve(env, tmp_path / "node.log", workers=2) as (port, _proc):
        browsers = []
        for admin in admins:
            browser = Browser(port)
            browser.log_in(admin.username)
            browsers.append(browser)
        for _round in range(ROUNDS):
            tokens = [b.csrf(f"/admin/users/{a.id}") for a, b in zip(admins, browsers, strict=True)]
            barrier = threading.Barrier(2)
            statuses: dict[str, int] = {}

            def step_down(admin, browser, token, barrier=barrier, statuses=statuses):
                form = {"roles": ["lead"], "active": "y", "csrf_token": token}
                barrier.wait(timeout=30)
                statuses[admin.username] = browser.request(f"/admin/users/{admin.id}", form)[0]

            threads = [
                threading.Thread(target=step_down, args=(a, b, t))
                for a, b, t in zip(admins, browsers, tokens, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=90)
            remaining = _active_admins(db)
            outcomes.append((dict(statuses), sorted(remaining)))
            # Make both administrators again for the next round.
            for admin in admins:
                if admin.username not in remaining:
                    db.add(UserRole(user_id=admin.id, role=Role.ADMIN.value))
            db.commit()
    for statuses, remaining in outcomes:
        assert sorted(statuses.values()) == [302, 400], outcomes
        assert len(remaining) == 1, outcomes
