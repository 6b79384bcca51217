"""`GET /api/v1/search` (a stable interface other tools rely on)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from search_index.models import SearchLog
from tests.factories import make_article, make_category
from tests.search.helpers import people, published


def test_search_api_shape(app, db, api):
    agent, lead, _admin = people(db)
    category = make_category(db, "账务")
    article = published(db, agent, lead, "发票如何开具", category=category, tags=["发票"], external_id="KB-7")
    body = api(agent).get("/search?q=发票&limit=5").get_json()
    assert body["query"] == "发票" and body["total"] == 1 and body["suggestion"] is None
    (hit,) = body["results"]
    assert hit["id"] == article.id and hit["external_id"] == "KB-7" and hit["title"] == "发票如何开具"
    assert hit["category"] == "账务" and hit["tags"] == ["发票"]
    assert hit["url"].endswith(f"/articles/{article.id}")
    assert "<mark>" in hit["snippet"] or hit["snippet"]
    assert isinstance(hit["score"], float)
    log = db.exec(select(SearchLog)).one()
    assert log.source == "api" and log.user_id == agent.id and log.result_count == 1


def test_search_api_filters_and_pagination(app, db, api):
    agent, lead, _admin = people(db)
    billing = make_category(db, "账务")
    for i in range(5):
        published(db, agent, lead, f"退款第{i}种情况", category=billing if i % 2 else None, tags=["退款"])
    client = api(agent)
    assert client.get("/search?q=退款").get_json()["total"] == 5
    page = client.get("/search?q=退款&limit=2&offset=4").get_json()
    assert page["total"] == 5 and len(page["results"]) == 1
    assert client.get("/search?q=退款&category=账务").get_json()["total"] == 2
    assert client.get("/search?q=退款&tag=退款").get_json()["total"] == 5
    assert client.get("/search?q=退款&tag=别的").get_json()["total"] == 0


def test_only_leads_may_include_unpublished(app, db, api):
    agent, lead, _admin = people(db)
    make_article(db, agent, title="退款草稿")
    assert api(agent).get("/search?q=退款草稿&include_unpublished=true").status_code == 403
    body = api(lead).get("/search?q=退款草稿&include_unpublished=true").get_json()
    assert [r["title"] for r in body["results"]] == ["退款草稿"]
    assert api(lead).get("/search?q=退款草稿").get_json()["total"] == 0


@pytest.mark.parametrize(
    "args", ["limit=0", "limit=101", "limit=abc", "offset=-1", "offset=x", "include_unpublished=maybe"]
)
def test_bad_parameters_are_400(app, db, api, args):
    agent, _lead, _admin = people(db)
    response = api(agent).get(f"/search?q=x&{args}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_search_is_documented_in_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/search"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"q", "limit", "offset", "category", "tag"}
    schema = doc["components"]["schemas"]["SearchResults"]
    assert set(schema["required"]) == {"query", "total", "results", "suggestion"}


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/search?q=x").status_code == 401
