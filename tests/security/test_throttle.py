"""Login throttling: by account and address, by account, and (with a much higher cap) by address; no easy
way around it, no account probing, and a neighbour behind the same address is not locked out."""

from __future__ import annotations

from sqlmodel import select

from portal.models import LoginFailure
from tests.factories import make_user
from tests.factories.users import DEFAULT_PASSWORD

# The default caps (portal/config.py): per account and address, per account, per address.
PAIR_CAP, ACCOUNT_CAP, ADDRESS_CAP = 5, 20, 100


def _login(client, username, password, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def _from(app, address: str, agent: str = "browser"):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent})
    return client


def test_account_lock_holds_from_any_address_and_spelling(app, db):
    """Guessing spread over many addresses (fewer than five from each) still locks the account."""
    make_user(db, "thr_agent")
    spellings = ["thr_agent", "THR_AGENT", " thr_agent", "Thr_Agent "]
    for i in range(ACCOUNT_CAP):
        response = _login(_from(app, f"10.0.{i // 4}.{i % 4 + 1}"), spellings[i % 4], "wrong-password")
        assert response.status_code == 401
    # The right password from a fresh address is refused while the account is locked.
    response = _login(_from(app, "10.0.99.1"), "thr_agent", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert _from(app, "10.0.99.1").get("/").status_code == 302


def test_made_up_names_do_not_lock_out_real_users_behind_the_same_address(app, db):
    """An office NAT: one person mistypes names (or a scanner tries some); colleagues still log in."""
    make_user(db, "thr_colleague")
    office = "10.9.0.1"
    for i in range(PAIR_CAP * 3):
        assert _login(_from(app, office), f"ghost{i % 7}", "nope-nope-nope").status_code in (401, 429)
    assert _login(_from(app, office), "thr_colleague", DEFAULT_PASSWORD).status_code == 302


def test_failures_against_one_account_lock_it_from_that_address_only(app, db):
    make_user(db, "thr_alice")
    make_user(db, "thr_bob")
    for _ in range(PAIR_CAP):
        assert _login(_from(app, "10.8.0.1"), "thr_alice", "wrong-password").status_code == 401
    locked = _login(_from(app, "10.8.0.1"), "thr_alice", DEFAULT_PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Alice from her own desk, and Bob behind the same address, are not affected.
    assert _login(_from(app, "10.8.0.2"), "thr_alice", DEFAULT_PASSWORD).status_code == 302
    assert _login(_from(app, "10.8.0.1"), "thr_bob", DEFAULT_PASSWORD).status_code == 302


def test_address_cap_is_not_escaped_by_forwarded_headers(app, db):
    """Spraying many names from one address is slowed by a much higher per-address cap; forwarded headers
    (set by the client, not by our proxy) do not move the attempts to another address."""
    make_user(db, "thr_victim")
    client = _from(app, "10.1.1.1")
    for i in range(ADDRESS_CAP):
        spoof = {"X-Forwarded-For": f"203.0.113.{i % 250}", "X-Real-IP": f"203.0.113.{i % 250}"}
        assert _login(client, f"ghost{i}", "nope-nope-nope", headers=spoof).status_code == 401
    spoof = {"X-Forwarded-For": "198.51.100.7"}
    blocked = _login(client, "thr_victim", DEFAULT_PASSWORD, headers=spoof)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # Another address is not affected by this one's lock.
    assert _login(_from(app, "10.1.1.2"), "thr_victim", DEFAULT_PASSWORD).status_code == 302


def test_throttled_answer_is_the_same_for_real_and_unknown_names(app, db):
    make_user(db, "thr_real")
    answers = {}
    for i, name in enumerate(("thr_real", "thr_nobody")):
        for _ in range(PAIR_CAP):
            _login(_from(app, f"10.2.{i}.1"), name, "wrong-password")
        response = _login(_from(app, f"10.2.{i}.1"), name, "wrong-password")
        answers[name] = (response.status_code, response.headers.get("Retry-After"))
    assert answers["thr_real"] == answers["thr_nobody"]
    assert answers["thr_real"][0] == 429


def test_a_429_says_when_to_retry_in_words_in_both_languages(app, db):
    make_user(db, "thr_words")
    client = _from(app, "10.6.0.1")
    for _ in range(PAIR_CAP):
        _login(client, "thr_words", "wrong-password")
    chinese = _login(client, "thr_words", DEFAULT_PASSWORD)
    assert chinese.status_code == 429
    assert 880 <= int(chinese.headers["Retry-After"]) <= 900  # whole seconds, as RFC 9110 asks
    assert "登录失败次数过多，请 15 分钟后再试。" in chinese.get_data(as_text=True)
    client.post("/language", data={"language": "en"})
    english = _login(client, "thr_words", DEFAULT_PASSWORD)
    assert english.status_code == 429
    assert "Try again in 15 minutes." in english.get_data(as_text=True)


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
