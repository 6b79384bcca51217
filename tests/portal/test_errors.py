"""A write the database refuses as conflicting (two requests creating the same thing at once) is a 409 with
a clear message on pages and in the API, never a 500."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portal.auth import public


def _conflicting_write():
    raise IntegrityError("INSERT INTO things ...", {}, Exception("UNIQUE constraint failed: things.name"))


def test_a_uniqueness_conflict_is_a_409_not_a_500(app):
    app.add_url_rule("/conflict-probe", "conflict_probe", public(_conflicting_write))
    app.add_url_rule("/api/v1/conflict-probe", "conflict_probe_api", public(_conflicting_write))
    client = app.test_client()
    page = client.get("/conflict-probe")
    assert page.status_code == 409
    assert "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/v1/conflict-probe")
    assert api.status_code == 409
    assert api.get_json()["error"]["code"] == "conflict"
