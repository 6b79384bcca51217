"""Removing a wrong ticket link: the service, the page button (article page and ticket page) and the API."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from articles.feedback import link_ticket
from articles.models import TicketLink
from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.models import AuditLog
from tests.factories import make_article, make_user

TICKET = "20240312-A001"


@pytest.fixture
def users(db):
    return {
        "author": make_user(db, "author_a", ("agent",)),
        "agent": make_user(db, "agent_a", ("agent",)),
        "agent2": make_user(db, "agent_b", ("agent",)),
        "lead": make_user(db, "lead_a", ("lead",)),
        "qa": make_user(db, "qa_a", ("qa",)),
    }


@pytest.fixture
def linked(db, users):
    """A published article that ``agent`` linked to TICKET."""
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    link_ticket(db, users["agent"], article.id, TICKET, DEFAULT_TICKET_ID_PATTERN)
    db.commit()
    return article


def _links(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(TicketLink)).one()


def _as(app, login, user):
    client = app.test_client()
    login(user, client)
    return client


# --- API -------------------------------------------------------------------------------------------------


def test_api_the_linker_removes_the_link(api, db, users, linked):
    r = api(users["agent"]).delete(f"/articles/{linked.id}/tickets/{TICKET}")
    assert r.status_code == 204 and r.get_data() == b""
    assert _links(db) == 0
    entry = db.exec(select(AuditLog).where(AuditLog.action == "article.unlink_ticket")).one()
    assert (
        entry.object_id == str(linked.id) and entry.actor_id == users["agent"].id and TICKET in entry.details
    )
    assert api(users["agent"]).get(f"/articles/{linked.id}").get_json()["tickets"] == []
    # Removing it again: the link is gone.
    assert api(users["agent"]).delete(f"/articles/{linked.id}/tickets/{TICKET}").status_code == 404


def test_api_a_lead_removes_anyones_link(api, db, users, linked):
    assert api(users["lead"]).delete(f"/articles/{linked.id}/tickets/{TICKET}").status_code == 204
    assert _links(db) == 0


def test_api_someone_elses_link_is_forbidden(api, db, users, linked):
    r = api(users["agent2"]).delete(f"/articles/{linked.id}/tickets/{TICKET}")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    # Not even the article's author may remove a link someone else made.
    assert api(users["author"]).delete(f"/articles/{linked.id}/tickets/{TICKET}").status_code == 403
    assert _links(db) == 1


def test_api_who_may_not_link_may_not_unlink(api, db, users, linked):
    assert api(users["qa"]).delete(f"/articles/{linked.id}/tickets/{TICKET}").status_code == 403
    assert _links(db) == 1


@pytest.mark.parametrize(
    ("article", "ticket"),
    [("linked", "20240312-B999"), ("linked", "not-a-ticket"), ("missing", TICKET), ("other", TICKET)],
)
def test_api_unknown_link_is_404(api, db, users, linked, article, ticket):
    other = make_article(db, users["author"], status="published", reviewer=users["lead"])
    article_id = {"linked": linked.id, "missing": 987654, "other": other.id}[article]
    r = api(users["lead"]).delete(f"/articles/{article_id}/tickets/{ticket}")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert _links(db) == 1


def test_api_link_on_a_draft_others_cannot_see_is_404(api, db, users):
    draft = make_article(db, users["author"])
    link_ticket(db, users["author"], draft.id, TICKET, DEFAULT_TICKET_ID_PATTERN)
    db.commit()
    assert api(users["agent2"]).delete(f"/articles/{draft.id}/tickets/{TICKET}").status_code == 404
    assert api(users["author"]).delete(f"/articles/{draft.id}/tickets/{TICKET}").status_code == 204


def test_api_unlink_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/articles/{id}/tickets/{ticket_id}"]["delete"]
    assert set(operation["responses"]) >= {"204", "403", "404"}


# --- pages -----------------------------------------------------------------------------------------------


def test_page_button_removes_the_link(app, db, login, users, linked):
    client = _as(app, login, users["agent"])
    page = client.get(f"/articles/{linked.id}").get_data(as_text=True)
    action = f"/articles/{linked.id}/tickets/{TICKET}/unlink"
    assert f'action="{action}"' in page
    r = client.post(action)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/articles/{linked.id}")
    assert _links(db) == 0
    page = client.get(f"/articles/{linked.id}").get_data(as_text=True)
    assert f'href="/tickets/{TICKET}"' not in page and f'action="{action}"' not in page


def test_page_button_only_for_who_may_unlink(app, db, login, users, linked):
    action = f"/articles/{linked.id}/tickets/{TICKET}/unlink"
    for role, shown in (("agent2", False), ("author", False), ("qa", False), ("lead", True)):
        page = _as(app, login, users[role]).get(f"/articles/{linked.id}").get_data(as_text=True)
        assert (f'action="{action}"' in page) is shown, role


def test_page_refuses_someone_elses_link_and_unknown_links(app, db, login, users, linked):
    client = _as(app, login, users["agent2"])
    assert client.post(f"/articles/{linked.id}/tickets/{TICKET}/unlink").status_code == 403
    assert client.post(f"/articles/{linked.id}/tickets/20240312-B999/unlink").status_code == 404
    assert client.post(f"/articles/987654/tickets/{TICKET}/unlink").status_code == 404
    assert (
        _as(app, login, users["qa"]).post(f"/articles/{linked.id}/tickets/{TICKET}/unlink").status_code == 403
    )
    assert _links(db) == 1


def test_page_unlink_needs_the_csrf_token(app, db, login, users, linked):
    client = app.test_client()
    login(users["agent"], client)
    r = client.post(f"/articles/{linked.id}/tickets/{TICKET}/unlink", csrf=False)
    assert r.status_code == 400
    assert _links(db) == 1


def test_ticket_page_button_returns_to_the_ticket(app, db, login, users, linked):
    client = _as(app, login, users["lead"])
    page = client.get(f"/tickets/{TICKET}").get_data(as_text=True)
    action = f"/articles/{linked.id}/tickets/{TICKET}/unlink"
    assert f'action="{action}"' in page
    r = client.post(action, data={"back": "ticket"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tickets/{TICKET}")
    assert _links(db) == 0
    assert f'action="{action}"' not in _as(app, login, users["agent2"]).get(f"/tickets/{TICKET}").get_data(
        as_text=True
    )
