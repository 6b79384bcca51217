from sqlmodel import select

from portal.models import ApiToken
from tests.factories import make_token, make_user


def test_openapi_document_is_public_and_lists_itself(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/openapi.json" in doc["paths"]


def test_unknown_api_path_is_404_in_error_format(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_revoked_token_stops_working(client, db, login):
    user = make_user(db, "agent1")
    token = make_token(db, user)
    login(user)
    row = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    db.expire_all()
    assert db.get(ApiToken, row.id).revoked_at is not None
    assert token.startswith("pt_")


def test_only_hash_of_token_is_stored(db):
    user = make_user(db, "agent1")
    clear = make_token(db, user)
    row = db.exec(select(ApiToken)).one()
    assert clear not in (row.token_hash, row.prefix)
    assert len(row.token_hash) == 64


def test_account_page_creates_token_shown_once(client, db, login):
    login(make_user(db, "agent1"))
    page = client.post("/account/tokens", data={"name": "my script"}).get_data(as_text=True)
    assert "pt_" in page
    again = client.get("/account").get_data(as_text=True)
    assert "my script" in again
    row = db.exec(select(ApiToken)).one()
    assert f"{row.prefix}…" in again


def test_other_users_token_cannot_be_revoked(client, db, login):
    owner = make_user(db, "owner")
    make_token(db, owner)
    row = db.exec(select(ApiToken)).one()
    login(make_user(db, "other"))
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    db.expire_all()
    assert db.get(ApiToken, row.id).revoked_at is None


def test_last_used_is_recorded_then_refreshed_at_most_once_a_minute(client, db):
    from datetime import timedelta

    from portal.accounts import TOKEN_TOUCH_SECONDS

    user = make_user(db, "agent1")
    clear = make_token(db, user)
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/search?q=x", headers=headers).status_code == 200
    db.expire_all()
    row = db.exec(select(ApiToken)).one()
    first = row.last_used_at
    assert first is not None
    # A second request within the minute does not write the token row again.
    client.get("/api/v1/search?q=x", headers=headers)
    db.expire_all()
    assert db.exec(select(ApiToken)).one().last_used_at == first
    # Once the recorded use is older than the interval, the next request refreshes it.
    row = db.exec(select(ApiToken)).one()
    row.last_used_at = first - timedelta(seconds=TOKEN_TOUCH_SECONDS + 1)
    db.add(row)
    db.commit()
    client.get("/api/v1/search?q=x", headers=headers)
    db.expire_all()
    assert db.exec(select(ApiToken)).one().last_used_at > first - timedelta(seconds=1)
