"""CSRF: every state-changing HTML route refuses a post without a valid token and changes nothing;
every POST form the pages render carries the token."""

from __future__ import annotations

import secrets

from itsdangerous import URLSafeTimedSerializer

from tests.factories import make_user
from tests.security.routes import concrete_path, is_api, methods, rules
from tests.security.support import diff, forms_of, snapshot


def _other_key_token() -> str:
    return URLSafeTimedSerializer(secrets.token_hex(32), salt="wtf-csrf-token").dumps(secrets.token_hex(20))


def _bad_tokens(app, client) -> list[str | None]:
    """No token, garbage, a token signed with another key, and a valid token of another session."""
    other = app.test_client()
    other.get("/login")
    with other.session_transaction() as sess:
        foreign = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(
            sess.get("csrf_token") or secrets.token_hex(20)
        )
    return [None, "", "forged", _other_key_token(), foreign]


def _post_html_rules(app):
    return [
        r
        for r in rules(app)
        if not is_api(r) and any(m in ("POST", "PUT", "PATCH", "DELETE") for m in methods(r))
    ]


def test_every_post_route_refuses_missing_or_forged_tokens(app, client, db, login):
    admin = make_user(db, "csrf_admin", ("admin",))
    login(admin)
    client.get("/")  # the session now holds a real CSRF token, as a victim's browser would
    bad_tokens = _bad_tokens(app, client)
    before = snapshot(db)
    failures = []
    for rule in _post_html_rules(app):
        for method in methods(rule):
            if method == "GET":
                continue
            for token in bad_tokens:
                data = {"language": "en", "name": "csrf", "csrf_token": token}
                if token is None:
                    del data["csrf_token"]
                response = client.open(concrete_path(rule), method=method, data=data, csrf=False)
                if response.status_code != 400:
                    failures.append((method, rule.rule, repr(token)[:20], response.status_code))
    assert failures == []
    assert diff(before, snapshot(db)) == {}


def _pages(app, client):
    for rule in rules(app):
        if is_api(rule) or "GET" not in methods(rule):
            continue
        response = client.get(concrete_path(rule))
        if response.status_code == 200 and response.mimetype == "text/html":
            yield rule.rule, response.get_data(as_text=True)


def test_every_rendered_post_form_carries_a_token_and_refuses_a_forged_one(app, client, db, login):
    admin = make_user(db, "csrf_admin", ("admin",))
    other = make_user(db, "csrf_other", ("agent",))
    login(admin)
    forms = []
    for path, html in _pages(app, client):
        for form in forms_of(html):
            if form["method"] == "post":
                forms.append((path, form))
    assert len(forms) >= 5, "expected the shell's pages to render POST forms"
    missing = [(path, form["action"]) for path, form in forms if "csrf_token" not in form["fields"]]
    assert missing == [], f"POST forms without a csrf_token field: {missing}"

    before = snapshot(db)
    failures = []
    for path, form in forms:
        action = form["action"] or path
        fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
        fields.setdefault("user_id", str(other.id))
        for token in (None, "forged", _other_key_token()):
            data = dict(fields) if token is None else {**fields, "csrf_token": token}
            response = client.post(action, data=data, csrf=False)
            if response.status_code != 400:
                failures.append((path, action, repr(token)[:20], response.status_code))
    assert failures == []
    assert diff(before, snapshot(db)) == {}


def test_the_token_is_bound_to_the_session_and_a_valid_one_works(app, client, db, login):
    """Control for the tests above: the same post with this session's token does go through."""
    user = make_user(db, "csrf_agent", ("agent",))
    login(user)
    assert (
        client.post("/language", data={"language": "en", "csrf_token": "forged"}, csrf=False).status_code
        == 400
    )
    db.expire_all()
    assert db.get(type(user), user.id).language is None
    assert client.post("/language", data={"language": "en"}).status_code == 302
    db.expire_all()
    assert db.get(type(user), user.id).language == "en"
