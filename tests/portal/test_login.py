from sqlmodel import select

from portal.models import AuditLog, LoginFailure, User
from tests.factories import make_user
from tests.factories.users import DEFAULT_PASSWORD


def _login(client, username, password, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def test_login_page_renders_in_chinese_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "登录" in page.get_data(as_text=True)


def test_login_success_redirects_and_shows_role_navigation(client, db):
    make_user(db, "lead1", ("lead",), display_name="王主管")
    response = _login(client, "lead1", DEFAULT_PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "王主管" in home.get_data(as_text=True)


def test_wrong_password_is_401_and_recorded(client, db):
    make_user(db, "agent1")
    response = _login(client, "agent1", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    db.expire_all()
    assert len(db.exec(select(LoginFailure)).all()) == 3  # by name and address, by name, by address
    assert client.get("/").status_code == 302


def test_throttle_after_five_failures_even_with_right_password(client, db):
    make_user(db, "agent1")
    for _ in range(5):
        assert _login(client, "agent1", "nope-nope").status_code == 401
    blocked = _login(client, "agent1", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert client.get("/").status_code == 302


def test_failures_for_other_names_from_the_address_do_not_lock_a_real_user(client, db):
    make_user(db, "agent1")
    for i in range(5):
        _login(client, f"ghost{i}", "nope-nope")
    assert _login(client, "agent1", DEFAULT_PASSWORD).status_code == 302


def test_disabled_account_cannot_log_in(client, db):
    make_user(db, "gone", active=False)
    response = _login(client, "gone", DEFAULT_PASSWORD)
    assert response.status_code == 401
    assert "停用" in response.get_data(as_text=True)


def test_session_id_changes_at_login(client, db):
    make_user(db, "agent1")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    _login(client, "agent1", DEFAULT_PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id")


def test_logout_needs_post_with_csrf(client, db, login):
    user = make_user(db, "agent1")
    login(user)
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client, db):
    make_user(db, "agent1")
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "agent1", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_password_change_ends_other_sessions(app, client, db, login):
    user = make_user(db, "agent1")
    other = app.test_client()
    login(user)
    login(user, other)
    response = client.post(
        "/account", data={"current": DEFAULT_PASSWORD, "new": "a-new-password", "confirm": "a-new-password"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    db.expire_all()
    assert db.exec(select(AuditLog).where(AuditLog.action == "user.password")).first() is not None


def test_password_change_with_wrong_current_changes_nothing(client, db, login):
    user = make_user(db, "agent1")
    before = user.password_hash
    login(user)
    response = client.post(
        "/account", data={"current": "bad-bad-bad", "new": "a-new-password", "confirm": "a-new-password"}
    )
    assert response.status_code == 400
    db.expire_all()
    assert db.get(User, user.id).password_hash == before


def test_language_switch_to_english(client, db, login):
    user = make_user(db, "agent1")
    login(user)
    client.post("/language", data={"language": "en", "next": "/"})
    assert "Log out" in client.get("/").get_data(as_text=True)
    db.expire_all()
    assert db.get(User, user.id).language == "en"


def test_over_long_login_field_is_400(client):
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 400
