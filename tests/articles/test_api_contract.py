"""The typed contract of the articles API: input the models refuse is a 400 naming the field, and nothing
is stored; the OpenAPI document is generated from the same models."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from articles.models import Article, Feedback, OutdatedFlag, TicketLink
from tests.factories import make_article, make_user


@pytest.fixture
def agent(db):
    return make_user(db, "contract_agent", ("agent",))


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def _raw(client, method: str, path: str, text: str):
    """Send ``text`` as the JSON body as it is (Python's json module writes NaN for float('nan'))."""
    return getattr(client, method)(path, data=text, content_type="application/json")


def _field(response) -> str:
    return response.get_json()["error"]["details"].get("field", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "退款\x00未到账"}, "title"),
        ({"title": "退款", "solution": "步骤\x07"}, "solution"),
        ({"title": "退款", "tags": ["好\x1b"]}, "tags[0]"),
        ({"title": "退款", "category_id": 2**70}, "category_id"),
        ({"title": "退款", "category_id": 0}, "category_id"),
        ({"title": "退款", "category_id": True}, "category_id"),
    ],
)
def test_create_refuses_what_the_model_refuses(api, db, agent, body, field):
    r = api(agent).post("/articles", json=body)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert _field(r) == field
    assert _count(db, Article) == 0


def test_newlines_and_tabs_are_text(api, db, agent):
    r = api(agent).post("/articles", json={"title": "退款", "solution": "第一步\n\t第二步\r\n"})
    assert r.status_code == 201


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_400(api, db, agent, literal):
    r = _raw(api(agent), "post", "/articles", f'{{"title": "退款", "category_id": {literal}}}')
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] in ("bad_request", "invalid_input")
    assert _count(db, Article) == 0


def test_patch_with_a_huge_version_is_400_naming_it(api, db, agent):
    article = make_article(db, agent)
    r = api(agent).patch(f"/articles/{article.id}", json={"version": 2**70, "title": "新"})
    assert r.status_code == 400
    assert _field(r) == "version"


def test_transition_comment_with_nul_is_400(api, db, agent):
    lead = make_user(db, "contract_lead", ("lead",))
    article = make_article(db, agent, status="in_review")
    r = api(lead).post(f"/articles/{article.id}/reject", json={"comment": "不\x00行"})
    assert r.status_code == 400 and _field(r) == "comment"
    db.expire_all()
    assert db.get(Article, article.id).status == "in_review"


def test_feedback_helpful_must_be_a_json_boolean(api, db, agent):
    lead = make_user(db, "contract_lead2", ("lead",))
    article = make_article(db, agent, status="published", reviewer=lead)
    for value in ("false", "true", 0, 1, None):
        r = api(agent).post(f"/articles/{article.id}/feedback", json={"helpful": value})
        assert r.status_code == 400, value
        assert _field(r) == "helpful"
    r = api(agent).post(f"/articles/{article.id}/feedback", json={"helpful": False, "reason": "过\x00时"})
    assert r.status_code == 400 and _field(r) == "reason"
    r = api(agent).post(f"/articles/{article.id}/flags", json={"comment": "过\x00时"})
    assert r.status_code == 400 and _field(r) == "comment"
    assert _count(db, Feedback) == 0 and _count(db, OutdatedFlag) == 0


def test_ticket_id_with_control_characters_is_400(api, db, agent):
    lead = make_user(db, "contract_lead3", ("lead",))
    article = make_article(db, agent, status="published", reviewer=lead)
    r = api(agent).post(f"/articles/{article.id}/tickets", json={"ticket_id": "20240312-A001\x00"})
    assert r.status_code == 400 and _field(r) == "ticket_id"
    assert _count(db, TicketLink) == 0


def test_the_document_is_generated_from_the_models(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    create = doc["paths"]["/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    title = create["properties"]["title"]
    assert title["type"] == "string" and title["maxLength"] == 200
    category = create["properties"]["category_id"]
    assert {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} in category["anyOf"]
    feedback = doc["paths"]["/articles/{id}/feedback"]["post"]["requestBody"]["content"]["application/json"]
    assert feedback["schema"]["properties"]["helpful"]["type"] == "boolean"
    article = doc["components"]["schemas"]["Article"]
    assert {"id", "status", "version", "title", "revision"} <= set(article["required"])


@pytest.mark.parametrize("verb", ["submit", "approve", "reject"])
def test_a_null_version_is_refused_not_read_as_no_version(api, db, agent, verb):
    """A client that sends ``"version": null`` meant to send the version it read; refusing it keeps the
    optimistic lock from being switched off by accident (leaving the key out stays allowed)."""
    lead = make_user(db, "contract_lead3", ("lead",))
    status = "draft" if verb == "submit" else "in_review"
    article = make_article(db, agent, status=status)
    who = agent if verb == "submit" else lead
    r = api(who).post(f"/articles/{article.id}/{verb}", json={"version": None, "comment": "原因"})
    assert r.status_code == 400 and _field(r) == "version"
    db.expire_all()
    assert db.get(Article, article.id).status == status
