"""Role × route matrix: every endpoint, every method, every role, HTML with the login session and the
API with Bearer tokens.  Allowed roles are never refused; the others get 401 (no identity) or 403."""

from __future__ import annotations

import pytest

from tests.factories import make_token, make_user
from tests.security import policy
from tests.security.routes import ROLES, access, allowed, concrete_path, is_api, methods, rules

PRINCIPALS = (None, *ROLES)


def test_every_endpoint_is_in_the_reviewed_policy(app):
    unknown = sorted({r.endpoint for r in rules(app) if policy.expected(r.endpoint) is None})
    assert unknown == [], (
        f"endpoints nobody has reviewed: {unknown}; add each to tests/security/policy.py with the roles "
        "that may use it (DESIGN.md, role table)"
    )


def test_declared_access_matches_the_reviewed_policy(app):
    mismatches = []
    for rule in rules(app):
        want = policy.expected(rule.endpoint)
        if want is None:
            continue
        got = access(app, rule)
        if (got.kind, got.roles) != want:
            mismatches.append((rule.endpoint, f"declared {got.kind} {sorted(got.roles)}", f"policy {want}"))
    assert mismatches == []


def _html_verdict(role, rule_access, method, path, response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} server error"
    if allowed(rule_access, role):
        if status in (401, 403):
            return f"allowed but got {status}"
        return None
    if role is None:
        location = response.headers.get("Location", "")
        if status != 302 or "/login" not in location:
            return f"anonymous got {status} {location!r}, expected a redirect to /login"
        return None
    if status != 403:
        return f"role not allowed but got {status}"
    return None


@pytest.mark.parametrize("role", PRINCIPALS, ids=lambda r: r or "anonymous")
def test_html_role_matrix(app, client, db, login, role):
    user = make_user(db, f"m_{role}", (role,)) if role else None
    failures = []
    for rule in rules(app):
        if is_api(rule):
            continue
        rule_access = access(app, rule)
        path = concrete_path(rule)
        for method in methods(rule):
            if user is not None:
                # Again before each request: POST /logout ends the session and bumps auth_version.
                db.refresh(user)
                login(user, client)
            # A valid CSRF token comes with every form post, so only the access rule can refuse it.
            response = client.open(path, method=method, data={} if method != "GET" else None)
            verdict = _html_verdict(role, rule_access, method, path, response)
            if verdict:
                failures.append((method, path, rule.endpoint, verdict))
    assert failures == []


def _api_verdict(role, rule_access, response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} server error"
    if status >= 400:
        body = response.get_json(silent=True) or {}
        if not isinstance(body.get("error"), dict) or not {"code", "message"} <= body["error"].keys():
            return f"{status} without the standard error body"
    if allowed(rule_access, role):
        return f"allowed but got {status}" if status in (401, 403) else None
    if role is None:
        if status != 401 or "Bearer" not in response.headers.get("WWW-Authenticate", ""):
            return f"no token but got {status}"
        return None
    return None if status == 403 else f"role not allowed but got {status}"


@pytest.mark.parametrize("role", PRINCIPALS, ids=lambda r: r or "anonymous")
def test_api_role_matrix(app, db, role):
    headers = {}
    if role is not None:
        user = make_user(db, f"api_{role}", (role,))
        headers = {"Authorization": f"Bearer {make_token(db, user)}"}
    client = app.test_client()
    failures = []
    for rule in rules(app):
        if not is_api(rule):
            continue
        rule_access = access(app, rule)
        path = concrete_path(rule)
        for method in methods(rule):
            kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = client.open(path, method=method, headers=headers, **kwargs)
            verdict = _api_verdict(role, rule_access, response)
            if verdict:
                failures.append((method, path, rule.endpoint, verdict))
    assert failures == []


def test_api_ignores_the_login_session(app, client, db, login):
    """A browser's cookies must never drive the API (that is why the API may skip CSRF)."""
    login(make_user(db, "cookie_admin", ("admin",)))
    failures = []
    for rule in rules(app):
        if not is_api(rule) or access(app, rule).kind == "public":
            continue
        for method in methods(rule):
            kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = client.open(concrete_path(rule), method=method, **kwargs)
            if response.status_code != 401:
                failures.append((method, rule.rule, response.status_code))
    assert failures == []


def _probe(app):
    """A protected API endpoint of our own, so the token checks run whatever the packages provide."""
    from portal.auth import current_actor, role_required

    @role_required("admin")
    def probe():
        return {"user": current_actor().username}

    app.add_url_rule("/api/v1/_security_probe", "security_probe", probe)
    return "/api/v1/_security_probe"


def _protected_api_calls(app):
    calls = [("GET", _probe(app))]
    for rule in rules(app):
        if is_api(rule) and access(app, rule).kind != "public" and rule.endpoint != "security_probe":
            calls.append((methods(rule)[0], concrete_path(rule)))
    return calls


BAD_HEADERS = (
    "Bearer pt_not-a-real-token",
    "Bearer ",
    "Bearer {token}x",
    "Bearer  {token}\u0000",
    "Basic YWRtaW46YWRtaW4=",
    "bearer" + " x" * 300,
    "Bearer " + "a" * 5000,
    "Token {token}",
    "{token}",
)


def test_api_refuses_bad_credentials(app, db):
    token = make_token(db, make_user(db, "tok_admin", ("admin",)))
    calls = _protected_api_calls(app)
    client = app.test_client()
    good = client.get(calls[0][1], headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and good.get_json() == {"user": "tok_admin"}
    failures = []
    for header in BAD_HEADERS:
        for method, path in calls:
            value = header.format(token=token)
            response = client.open(path, method=method, headers={"Authorization": value})
            if response.status_code != 401:
                failures.append((value[:40], method, path, response.status_code))
    assert failures == []


def test_revoked_expired_and_disabled_users_tokens_are_refused(app, client, db):
    from datetime import timedelta

    from sqlmodel import select

    from portal import accounts
    from portal.models import ApiToken
    from portal.timeutil import utcnow

    admin = make_user(db, "tok_admin", ("admin",))
    revoked, expired = make_token(db, admin), make_token(db, admin)
    rows = {t.token_hash: t for t in db.exec(select(ApiToken)).all()}
    accounts.revoke_token(db, rows[accounts.hash_token(revoked)], actor=None)
    rows[accounts.hash_token(expired)].expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    other = make_user(db, "gone_admin", ("admin",))
    gone = make_token(db, other)
    accounts.set_active(db, other, False, actor=None)
    db.commit()
    calls = _protected_api_calls(app)
    failures = []
    for token in (revoked, expired, gone):
        for method, path in calls:
            response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 401:
                failures.append((token[:10], method, path, response.status_code))
    assert failures == []
