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


def _roles(db, user) -> set[str]:
    db.expire_all()
    return set(db.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all())


def test_the_last_admin_cannot_remove_their_own_admin_role(client, db, login):
    root = make_user(db, "root", ("admin",), display_name="老管理员")
    login(root)
    response = client.post(
        f"/admin/users/{root.id}", data={"roles": ["qa"], "active": "y", "display_name": "改了名字"}
    )
    assert response.status_code == 400
    assert "至少要保留一位启用的管理员" in response.get_data(as_text=True)
    # Nothing of the form was saved, and the portal still has its administrator.
    assert _roles(db, root) == {"admin"}
    assert db.get(User, root.id).display_name == "老管理员"
    assert db.exec(select(AuditLog).where(AuditLog.action == "user.roles")).first() is None
    assert client.get("/admin/users").status_code == 200


def test_a_disabled_admin_does_not_count_as_the_remaining_admin(client, db, login):
    root = make_user(db, "root", ("admin",))
    make_user(db, "sleeping_admin", ("admin",), active=False)
    login(root)
    client.post("/language", data={"language": "en"})
    response = client.post(f"/admin/users/{root.id}", data={"roles": ["lead"], "active": "y"})
    assert response.status_code == 400
    assert "at least one active administrator" in response.get_data(as_text=True)
    assert _roles(db, root) == {"admin"}


def test_an_admin_may_step_down_while_another_admin_remains(client, db, login):
    root = make_user(db, "root", ("admin",))
    make_user(db, "second", ("admin",))
    login(root)
    response = client.post(f"/admin/users/{root.id}", data={"roles": ["lead"], "active": "y"})
    assert response.status_code == 302
    assert _roles(db, root) == {"lead"}


def test_the_last_admin_cannot_be_disabled_from_the_command_line_either(app, db):
    """Services refuse it whoever asks (``actor=None`` is a CLI or start-up task)."""
    from portal import accounts

    root = make_user(db, "root", ("admin",))
    try:
        accounts.set_active(db, root, False, actor=None)
    except accounts.LastAdminError:
        db.rollback()
    else:  # pragma: no cover - the failure being tested for
        raise AssertionError("the last admin was disabled")
    db.expire_all()
    assert db.get(User, root.id).is_active is True
