"""Every route states who may use it, and the shell's rules hold for anonymous and wrong-role users."""

import re

import pytest

from portal.auth import access_of
from tests.factories import make_user

SKIP_ENDPOINTS = {"static"}


def _endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        yield rule


def test_every_route_declares_its_access(app):
    missing = [r.endpoint for r in _endpoints(app) if access_of(app.view_functions[r.endpoint]) is None]
    assert missing == [], f"routes without public/login_required/role_required: {missing}"


def _concrete_path(rule):
    # Fill converters with a plausible value so that the access check runs before any lookup.
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)


def test_anonymous_users_are_sent_to_login_or_get_401(app):
    client = app.test_client()
    for rule in _endpoints(app):
        access = access_of(app.view_functions[rule.endpoint])
        if access.kind == "public":
            continue
        path = _concrete_path(rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            assert response.status_code == 401, (rule.rule, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            # A POST without CSRF token may be refused for that reason first; neither may succeed.
            assert response.status_code in (302, 400), (rule.rule, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["agent", "lead", "qa", "admin"])
def test_role_rules_are_enforced_on_get_routes(app, db, login, role):
    """For every parameterless GET route: allowed roles never get 403, others always do."""
    client = app.test_client()
    user = make_user(db, f"u_{role}", (role,))
    login(user, client)
    for rule in _endpoints(app):
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith("/api/"):
            continue
        access = access_of(app.view_functions[rule.endpoint])
        response = client.get(rule.rule)
        allowed = access.allows({role})
        if allowed:
            assert response.status_code != 403, (role, rule.rule)
            assert response.status_code < 500, (role, rule.rule, response.status_code)
        else:
            assert response.status_code == 403, (role, rule.rule, response.status_code)


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_flags(client, db):
    make_user(db, "agent1")
    response = client.post("/login", data={"username": "agent1", "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_forged_csrf_token_is_rejected_and_changes_nothing(client, db, login):
    user = make_user(db, "agent1")
    login(user)
    response = client.post("/language", data={"language": "en", "csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(type(user), user.id).language is None


def test_non_utf8_form_body_is_not_a_500(client, db, login):
    login(make_user(db, "agent1"))
    response = client.post(
        "/account/tokens",
        data=b"name=\xff\xfe\xfa",
        content_type="application/x-www-form-urlencoded",
        csrf=False,
    )
    assert response.status_code == 400


def test_upload_too_large_is_413(app, client, db, login):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    login(make_user(db, "agent1"))
    response = client.post("/account/tokens", data={"name": "x" * 5000})
    assert response.status_code == 413


def test_value_the_database_refuses_is_a_400_not_a_500(app, client):
    """An integer beyond the column's range (PostgreSQL raises DataError) is the client's bad input."""
    from flask import Blueprint
    from sqlalchemy.exc import DataError

    bp = Blueprint("raise_data_error", __name__)

    @bp.get("/api/v1/_data_error")
    def boom():
        raise DataError("INSERT", {}, Exception("integer out of range"))

    app.register_blueprint(bp)
    response = client.get("/api/v1/_data_error")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
