"""Session handling: fixation, logout, password change and disabling end sessions."""

from __future__ import annotations

from tests.factories import make_user
from tests.factories.users import DEFAULT_PASSWORD


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _login_form(client, username, password=DEFAULT_PASSWORD, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def test_session_is_renewed_at_login(client, db):
    """An attacker who planted a session (and its CSRF token) in the victim's browser gains nothing."""
    make_user(db, "fix_agent")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
        planted_csrf = sess.get("csrf_token")
    assert planted_csrf
    before = _session_cookie(client)
    assert _login_form(client, "fix_agent").status_code == 302
    after = _session_cookie(client)
    assert after and after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != planted_csrf
        assert sess.get("_user_id", "").startswith(str(sess.get("_user_id", "x").split(":")[0]))


def test_a_planted_pre_login_cookie_does_not_become_authenticated(app, db):
    """The attacker keeps the cookie they planted; after the victim logs in it must still be anonymous."""
    make_user(db, "fix_victim")
    attacker = app.test_client()
    attacker.get("/login")
    planted = _session_cookie(attacker)
    victim = app.test_client()
    victim.set_cookie("session", planted)
    assert _login_form(victim, "fix_victim").status_code == 302
    assert victim.get("/").status_code == 200
    attacker.set_cookie("session", planted)
    assert attacker.get("/").status_code == 302


def test_a_session_cookie_copied_before_logout_is_dead_after_logout(app, client, db):
    """Cookie sessions live in the browser, so logging out must also end the copy a thief took."""
    make_user(db, "logout_agent")
    assert _login_form(client, "logout_agent").status_code == 302
    stolen = _session_cookie(client)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


def test_password_change_and_disabling_end_other_sessions(app, client, db, login):
    from portal import accounts

    user = make_user(db, "pw_agent")
    other = app.test_client()
    assert _login_form(other, "pw_agent").status_code == 302
    assert _login_form(client, "pw_agent").status_code == 302
    response = client.post(
        "/account",
        data={
            "current": DEFAULT_PASSWORD,
            "new": "another long password",
            "confirm": "another long password",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert client.get("/").status_code == 200  # this session was renewed
    assert other.get("/").status_code == 302  # the other one ended
    db.expire_all()
    accounts.set_active(db, db.get(type(user), user.id), False, actor=None)
    db.commit()
    assert client.get("/").status_code == 302


def test_a_session_from_another_client_fingerprint_is_refused(app, client, db):
    """Session protection "strong": a cookie replayed from another address/browser is not honoured."""
    make_user(db, "fp_agent")
    assert _login_form(client, "fp_agent").status_code == 302
    stolen = _session_cookie(client)
    thief = app.test_client()
    thief.environ_base.update({"REMOTE_ADDR": "10.9.8.7", "HTTP_USER_AGENT": "thief/1.0"})
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


def test_login_redirect_target_stays_on_site(client, db):
    make_user(db, "next_agent")
    for target in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "\\\\evil",
    ):
        response = client.post(
            "/login?next=" + target, data={"username": "next_agent", "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        assert "evil" not in location and not location.startswith("javascript"), (target, location)
        client.post("/logout")
