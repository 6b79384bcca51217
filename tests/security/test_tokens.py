"""API tokens end with the credentials they were made under: a password change (own or by an admin) and
disabling the account end every existing token, and re-enabling the account does not bring them back.
Logging out of the browser does not end a script's token."""

from __future__ import annotations

from tests.factories import make_token, make_user
from tests.factories.users import DEFAULT_PASSWORD


def _works(app, token: str) -> bool:
    status = app.test_client().get("/api/v1/search?q=x", headers={"Authorization": f"Bearer {token}"})
    assert status.status_code in (200, 401), status.status_code
    return status.status_code == 200


def test_own_password_change_ends_every_existing_token(app, client, db, login):
    user = make_user(db, "tok_self")
    old = [make_token(db, user, "script one"), make_token(db, user, "script two")]
    assert all(_works(app, t) for t in old)
    login(user)
    response = client.post(
        "/account",
        data={"current": DEFAULT_PASSWORD, "new": "a-brand-new-secret", "confirm": "a-brand-new-secret"},
    )
    assert response.status_code == 302
    assert not any(_works(app, t) for t in old)
    # A token made after the change works.
    page = client.post("/account/tokens", data={"name": "after"}).get_data(as_text=True)
    start = page.index("pt_")
    fresh = page[start : page.index("<", start)].strip()
    assert _works(app, fresh)


def test_admin_password_reset_ends_the_users_tokens(app, client, db, login):
    login(make_user(db, "tok_root", ("admin",)))
    user = make_user(db, "tok_reset")
    token = make_token(db, user)
    assert _works(app, token)
    response = client.post(
        f"/admin/users/{user.id}",
        data={"roles": ["agent"], "active": "y", "new_password": "reset-by-admin-1"},
    )
    assert response.status_code == 302
    assert not _works(app, token)


def test_disabling_ends_tokens_and_re_enabling_does_not_revive_them(app, client, db, login):
    login(make_user(db, "tok_root2", ("admin",)))
    user = make_user(db, "tok_off")
    token = make_token(db, user)
    assert _works(app, token)
    assert client.post(f"/admin/users/{user.id}", data={"roles": ["agent"]}).status_code == 302
    assert not _works(app, token)
    assert client.post(f"/admin/users/{user.id}", data={"roles": ["agent"], "active": "y"}).status_code == 302
    assert not _works(app, token)
    # The account itself works again: a new token does.
    db.expire_all()
    assert _works(app, make_token(db, user))


def test_profile_edit_and_logout_leave_tokens_working(app, client, db, login):
    """Only credential changes end tokens: a script must survive its owner logging out of the browser."""
    login(make_user(db, "tok_root3", ("admin",)))
    user = make_user(db, "tok_keep")
    token = make_token(db, user)
    saved = client.post(
        f"/admin/users/{user.id}",
        data={"roles": ["agent", "qa"], "active": "y", "display_name": "新名字"},
    )
    assert saved.status_code == 302
    assert _works(app, token)
    own = app.test_client()
    own.post("/login", data={"username": "tok_keep", "password": DEFAULT_PASSWORD})
    assert own.post("/logout").status_code == 302
    assert _works(app, token)


def test_account_page_marks_tokens_ended_by_a_password_change(app, client, db, login):
    user = make_user(db, "tok_page")
    make_token(db, user, "old script")
    login(user)
    client.post(
        "/account",
        data={"current": DEFAULT_PASSWORD, "new": "a-brand-new-secret", "confirm": "a-brand-new-secret"},
    )
    page = client.get("/account").get_data(as_text=True)
    row = page[page.index("old script") :].split("</tr>")[0]
    assert "已失效" in row  # "no longer valid": not offered for revocation as if it still worked
    assert "吊销" not in row


def test_a_removed_role_stops_working_at_once_for_tokens_as_for_sessions(app, client, db, login):
    """Roles are read on every request, so a token needs no new credentials for a role change to bite."""
    login(make_user(db, "tok_root4", ("admin",)))
    user = make_user(db, "tok_qa", ("qa",))
    headers = {"Authorization": f"Bearer {make_token(db, user)}"}
    assert app.test_client().get("/api/v1/qa/scorecards/999999", headers=headers).status_code == 404
    assert client.post(f"/admin/users/{user.id}", data={"roles": ["agent"], "active": "y"}).status_code == 302
    assert app.test_client().get("/api/v1/qa/scorecards/999999", headers=headers).status_code == 403
