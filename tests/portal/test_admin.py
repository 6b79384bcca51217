from sqlmodel import select

from portal.models import AuditLog, User, UserRole
from tests.factories import make_user


def test_admin_creates_user_with_roles(client, db, login):
    login(make_user(db, "root", ("admin",)))
    response = client.post(
        "/admin/users/new",
        data={"username": "newqa", "password": "a-long-password", "roles": ["qa", "lead"], "team": "质检组"},
    )
    assert response.status_code == 302
    db.expire_all()
    user = db.exec(select(User).where(User.username == "newqa")).one()
    roles = set(db.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all())
    assert roles == {"qa", "lead"}
    assert db.exec(select(AuditLog).where(AuditLog.action == "user.create")).first() is not None


def test_duplicate_username_is_rejected_and_nothing_changes(client, db, login):
    login(make_user(db, "root", ("admin",)))
    make_user(db, "taken")
    response = client.post(
        "/admin/users/new", data={"username": "taken", "password": "a-long-password", "roles": ["qa"]}
    )
    assert response.status_code == 400
    db.expire_all()
    assert len(db.exec(select(User).where(User.username == "taken")).all()) == 1


def test_unknown_role_is_rejected(client, db, login):
    login(make_user(db, "root", ("admin",)))
    response = client.post(
        "/admin/users/new", data={"username": "x1", "password": "a-long-password", "roles": ["king"]}
    )
    assert response.status_code == 400
    db.expire_all()
    assert db.exec(select(User).where(User.username == "x1")).first() is None


def test_disable_user_ends_their_session(app, client, db, login):
    login(make_user(db, "root", ("admin",)))
    victim = make_user(db, "agent1")
    victim_client = app.test_client()
    login(victim, victim_client)
    assert victim_client.get("/").status_code == 200
    response = client.post(f"/admin/users/{victim.id}", data={"roles": ["agent"], "display_name": ""})
    assert response.status_code == 302
    assert victim_client.get("/").status_code == 302
    db.expire_all()
    assert db.get(User, victim.id).is_active is False


def test_non_admin_gets_403_on_admin_pages(client, db, login):
    login(make_user(db, "lead1", ("lead",)))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_audit_page_lists_actions(client, db, login):
    login(make_user(db, "root", ("admin",)))
    make_user(db, "someone")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user.create" in page
