"""Hostile input on every route: oversized IDs, bodies of the wrong shape, odd Unicode. Never a 500."""

from __future__ import annotations

import pytest

from tests.factories import make_token, make_user
from tests.security.routes import concrete_path, is_api, methods, rules

HUGE_IDS = ("2147483648", "9223372036854775808", "1" + "0" * 40)


@pytest.fixture
def admin_token(db):
    return make_token(db, make_user(db, "robust_admin", ("admin",)))


def test_ids_beyond_the_database_range_are_404_everywhere(app, client, db, login, admin_token):
    """Werkzeug's int converter accepts any size; the database does not (32-bit ids on PostgreSQL)."""
    login(make_user(db, "robust_html_admin", ("admin",)))
    failures = []
    for rule in rules(app):
        ints = [
            name for name, conv in rule._converters.items() if type(conv).__name__.endswith("IntConverter")
        ]
        ints += [name for name, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"]
        if not ints:
            continue
        for huge in HUGE_IDS:
            path = concrete_path(rule, dict.fromkeys(ints, huge))
            headers = {"Authorization": f"Bearer {admin_token}"} if is_api(rule) else {}
            for method in methods(rule):
                response = client.open(
                    path, method=method, headers=headers, data={} if method != "GET" else None
                )
                if response.status_code != 404:
                    failures.append((method, path[:60], response.status_code))
    assert failures == []


BAD_BODIES = [
    ("[]", "application/json"),
    ('"text"', "application/json"),
    ("null", "application/json"),
    ("123", "application/json"),
    ("{", "application/json"),
    ('{"a":' * 5000 + "1" + "}" * 5000, "application/json"),
    (b"\xff\xfe{}", "application/json"),
    ("title=x", "application/x-www-form-urlencoded"),
    ('{"title": "\\ud800"}', "application/json"),
    ('{"id": 1e400, "version": NaN}', "application/json"),
]


def test_api_write_endpoints_reject_malformed_bodies_cleanly(app, admin_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures = []
    for rule in rules(app):
        if not is_api(rule):
            continue
        for method in methods(rule):
            if method not in ("POST", "PATCH", "PUT"):
                continue
            for body, ctype in BAD_BODIES:
                response = client.open(
                    concrete_path(rule, dict.fromkeys(rule.arguments, "1")),
                    method=method,
                    headers=headers,
                    data=body,
                    content_type=ctype,
                )
                status = response.status_code
                ok = status < 400 or (status < 500 and (response.get_json(silent=True) or {}).get("error"))
                if not ok:
                    failures.append(f"{method} {rule.rule} {str(body)[:20]!r} -> {response.status_code}")
    assert failures == [], "\n".join(failures)


def test_scorecard_guidance_with_unicode_digit_keys_is_a_400(app, admin_token):
    """'²'.isdigit() is True but int('²') raises: the key must be refused with a 400, not crash."""
    client = app.test_client()
    body = {
        "name": "质检卡",
        "mode": "points",
        "sections": [
            {
                "name": "服务态度",
                "weight": 1,
                "criteria": [{"name": "问候", "scale": "5", "points": 1, "guidance": {"²": "两分"}}],
            }
        ],
    }
    response = client.post(
        "/api/v1/qa/scorecards", json=body, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
