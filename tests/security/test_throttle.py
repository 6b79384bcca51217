"""Login throttling: by name and by address, no easy way around it, no account probing."""

from __future__ import annotations

from sqlmodel import select

from portal.models import LoginFailure
from tests.factories import make_user
from tests.factories.users import DEFAULT_PASSWORD


def _login(client, username, password, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def _from(app, address: str, agent: str = "browser"):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent})
    return client


def test_name_lock_holds_from_any_address_and_spelling(app, db):
    make_user(db, "thr_agent")
    for i, name in enumerate(["thr_agent", "THR_AGENT", " thr_agent", "Thr_Agent ", "thr_agent"]):
        assert _login(_from(app, f"10.0.0.{i + 1}"), name, "wrong-password").status_code in (401, 429)
    # The right password from a fresh address is still refused while the name is locked.
    response = _login(_from(app, "10.0.1.1"), "thr_agent", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert _from(app, "10.0.1.1").get("/").status_code == 302


def test_address_lock_is_not_escaped_by_forwarded_headers(app, db):
    make_user(db, "thr_victim")
    client = _from(app, "10.1.1.1")
    for i in range(5):
        spoof = {"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"203.0.113.{i}"}
        assert _login(client, f"ghost{i}", "nope-nope-nope", headers=spoof).status_code == 401
    spoof = {"X-Forwarded-For": "198.51.100.7"}
    assert _login(client, "thr_victim", DEFAULT_PASSWORD, headers=spoof).status_code == 429
    # Another address is not affected by this one's lock.
    assert _login(_from(app, "10.1.1.2"), "thr_victim", DEFAULT_PASSWORD).status_code == 302


def test_throttled_answer_is_the_same_for_real_and_unknown_names(app, db):
    make_user(db, "thr_real")
    answers = {}
    for i, name in enumerate(("thr_real", "thr_nobody")):
        for _ in range(5):
            _login(_from(app, f"10.2.{i}.1"), name, "wrong-password")
        response = _login(_from(app, f"10.2.{i}.2"), name, "wrong-password")
        answers[name] = (response.status_code, response.headers.get("Retry-After"))
    assert answers["thr_real"] == answers["thr_nobody"]
    assert answers["thr_real"][0] == 429


def test_wrong_password_and_unknown_user_get_the_same_answer(app, db):
    make_user(db, "thr_known")
    known = _login(_from(app, "10.3.0.1"), "thr_known", "wrong-password")
    unknown = _login(_from(app, "10.3.0.2"), "thr_unknown", "wrong-password")
    assert known.status_code == unknown.status_code == 401
    assert known.get_data(as_text=True).replace("thr_known", "X") == unknown.get_data(as_text=True).replace(
        "thr_unknown", "X"
    ).replace(_csrf(unknown), _csrf(known))


def _csrf(response) -> str:
    html = response.get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_throttled_attempts_are_not_checked_and_the_lock_is_bounded(app, db):
    """While locked, attempts are refused before the password is looked at (no oracle, no growth)."""
    make_user(db, "thr_bound")
    client = _from(app, "10.4.0.1")
    for _ in range(5):
        _login(client, "thr_bound", "wrong-password")
    db.expire_all()
    count = len(db.exec(select(LoginFailure)).all())
    for _ in range(20):
        assert _login(client, "thr_bound", DEFAULT_PASSWORD).status_code == 429
    db.expire_all()
    assert len(db.exec(select(LoginFailure)).all()) == count
    retry = _login(client, "thr_bound", DEFAULT_PASSWORD)
    assert "15" in retry.get_data(as_text=True)  # "try again in 15 minutes"
