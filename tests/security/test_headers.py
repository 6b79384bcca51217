"""Security headers on every response: CSP without inline scripts, nosniff, no framing."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.security.routes import concrete_path, is_api, methods, rules
from tests.security.support import inert_problems


def _directives(csp: str) -> dict[str, list[str]]:
    result = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            result[words[0].lower()] = [w.lower() for w in words[1:]]
    return result


def header_problems(response) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        return ["no Content-Security-Policy"]
    d = _directives(csp)
    scripts = d.get("script-src", d.get("default-src"))
    if scripts is None:
        problems.append("CSP without script-src or default-src")
    else:
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if bad in scripts:
                problems.append(f"script-src allows {bad}")
    if d.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {d.get('object-src')}")
    if d.get("frame-ancestors") not in (["'none'"], ["'self'"]):
        problems.append(f"frame-ancestors is {d.get('frame-ancestors')}")
    if d.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append(f"base-uri is {d.get('base-uri')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if response.headers.get("X-Frame-Options") not in ("DENY", "SAMEORIGIN"):
        problems.append("X-Frame-Options missing")
    if response.headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')}")
    if "Server" in response.headers and "/" in response.headers["Server"]:
        problems.append(f"Server header reveals a version: {response.headers['Server']}")
    return problems


@pytest.mark.parametrize("role", [None, "admin"], ids=["anonymous", "admin"])
def test_every_get_route_sends_the_security_headers_and_clean_html(app, client, db, login, role):
    if role:
        login(make_user(db, "hdr_admin", (role,)))
    failures = []
    pages = 0
    for rule in rules(app):
        if "GET" not in methods(rule):
            continue
        response = client.get(concrete_path(rule))
        for problem in header_problems(response):
            failures.append((rule.rule, response.status_code, problem))
        if response.mimetype == "text/html":
            pages += 1
            # Our own templates must satisfy the CSP: no inline scripts, handlers or style attributes.
            for problem in inert_problems(response.get_data(as_text=True)):
                failures.append((rule.rule, response.status_code, problem))
    assert pages >= 2
    assert failures == []


def test_error_pages_static_files_and_api_errors_get_the_headers_too(app, client, db):
    responses = {
        "404 page": client.get("/no/such/page"),
        "405": client.put("/login"),
        "static": client.get("/static/css/portal.css"),
        "API 401": client.get("/api/v1/_nothing_here"),
        "openapi": client.get("/api/v1/openapi.json"),
        "CSRF 400": client.post("/login", data={}, csrf=False),
    }
    failures = [(name, p) for name, r in responses.items() for p in header_problems(r)]
    assert failures == []
    assert responses["openapi"].mimetype == "application/json"
    assert responses["API 401"].mimetype == "application/json"


def test_api_json_is_never_served_as_html(app, db, api):
    """JSON bodies carry the JSON content type and nosniff, so a reflected string cannot become a page."""
    admin = make_user(db, "hdr_api", ("admin",))
    client = api(admin)
    failures = []
    for rule in rules(app):
        if not is_api(rule) or "GET" not in methods(rule):
            continue
        response = client.get(concrete_path(rule)[len("/api/v1") :] + "?q=%3Cscript%3Ealert(1)%3C/script%3E")
        if response.mimetype != "application/json":
            failures.append((rule.rule, response.mimetype))
    assert failures == []


def test_session_cookie_is_httponly_and_samesite(client, db):
    make_user(db, "cookie_user")
    response = client.post("/login", data={"username": "cookie_user", "password": "correct horse battery"})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie, cookies
    assert "HttpOnly" in session_cookie[0]
    assert "SameSite=Lax" in session_cookie[0] or "SameSite=Strict" in session_cookie[0]


def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path, database_url, monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "k" * 64)
    app = create_app(
        {"DATABASE_URL": database_url, "INSTANCE_DIR": str(tmp_path / "prod"), "SEMANTIC": "off"}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_every_response_to_a_logged_in_user_is_not_stored_by_caches(app, client, db, login, role):
    """A shared or back-button cache must not keep a page or API answer meant for one user; static files
    may be cached."""
    user = make_user(db, f"nostore_{role}", (role,))
    login(user)
    token_client = app.test_client()
    from tests.factories import make_token

    bearer = {"Authorization": f"Bearer {make_token(db, user)}"}
    missing = []
    for rule in rules(app):
        if "GET" not in methods(rule) or rule.endpoint.endswith("static"):
            continue
        path = concrete_path(rule)
        response = token_client.get(path, headers=bearer) if is_api(rule) else client.get(path)
        if "no-store" not in response.headers.get("Cache-Control", ""):
            missing.append((rule.rule, response.status_code))
    assert missing == []
    # Error pages of a logged-in user too.
    assert "no-store" in client.get("/no/such/page").headers.get("Cache-Control", "")
    # Static files stay cacheable.
    assert "no-store" not in client.get("/static/css/portal.css").headers.get("Cache-Control", "")


def test_every_429_tells_when_to_retry(app, client):
    """A 429 raised anywhere without its own wait still carries Retry-After (pages and API)."""
    from flask import abort

    from portal.auth import public

    @app.get("/_test/busy")
    @public
    def _busy():
        abort(429)

    @app.get("/api/v1/_test/busy")
    @public
    def _busy_api():
        abort(429)

    for path in ("/_test/busy", "/api/v1/_test/busy"):
        response = client.get(path)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0, path
