"""The article forms as a writer meets them: no false conflict banner on a new article, tags that survive
an edit untouched, a bad ticket ID (or flag, or upload) answered next to its field on the article page."""

from __future__ import annotations

import html as htmllib
import io
import re

import pytest
from sqlmodel import select

from articles.models import (
    Article,
    ArticleRevision,
    Attachment,
    Feedback,
    OutdatedFlag,
    RevisionTag,
    Tag,
    TicketLink,
)
from articles.revisions import revision_tags
from tests.factories import make_article, make_category, make_user

CONFLICT_BANNER = "你编辑期间有人保存了这篇文章"


@pytest.fixture
def users(db):
    return {
        "agent": make_user(db, "agent_f", ("agent",)),
        "agent2": make_user(db, "agent_g", ("agent",)),
        "lead": make_user(db, "lead_f", ("lead",)),
    }


def _as(app, login, user):
    c = app.test_client()
    login(user, c)
    return c


def _input_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return htmllib.unescape(value.group(1)) if value else ""


def _field_block(page: str, name: str) -> str:
    """The field's wrapper (label, input, errors) up to the end of its form."""
    before, after = page.split(f'name="{name}"', 1)
    return '<div class="field' + before.rsplit('<div class="field', 1)[1] + after.split("</form>", 1)[0]


def _textarea(page: str, name: str) -> str:
    return htmllib.unescape(
        re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1)
    )


# --- 1. the conflict banner only after a real stale save ------------------------------------------------


def test_blank_new_article_form_shows_no_conflict_banner(app, db, login, users):
    agent = _as(app, login, users["agent"])
    page = agent.get("/articles/new").get_data(as_text=True)
    assert CONFLICT_BANNER not in page and 'id="conflict"' not in page
    r = agent.post("/articles/new", data={"title": "", "category_id": 0, "audience": "internal"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "has-error" in page  # the validation error is shown ...
    assert CONFLICT_BANNER not in page and 'id="conflict"' not in page  # ... and nothing about a conflict


def test_edit_form_shows_the_conflict_banner_only_after_a_stale_save(app, db, login, users):
    article = make_article(db, users["agent"], solution="原文")
    first, second = _as(app, login, users["agent"]), _as(app, login, users["agent"])
    page1 = first.get(f"/articles/{article.id}/edit").get_data(as_text=True)
    page2 = second.get(f"/articles/{article.id}/edit").get_data(as_text=True)
    assert CONFLICT_BANNER not in page1
    base = {"title": "标题", "category_id": 0, "tags": "", "audience": "internal"}
    invalid = second.post(
        f"/articles/{article.id}/edit", data={**base, "title": "", "version": _input_value(page2, "version")}
    )
    assert invalid.status_code == 400 and CONFLICT_BANNER not in invalid.get_data(as_text=True)
    saved = first.post(
        f"/articles/{article.id}/edit",
        data={**base, "solution": "窗口一", "version": _input_value(page1, "version")},
    )
    assert saved.status_code == 302
    stale = second.post(
        f"/articles/{article.id}/edit",
        data={**base, "solution": "窗口二", "version": _input_value(page2, "version")},
    )
    assert stale.status_code == 409 and CONFLICT_BANNER in stale.get_data(as_text=True)


# --- 2. tags kept as they are when the writer does not touch them -----------------------------------------


def _tag_names(db) -> list[str]:
    return sorted(db.exec(select(Tag.name)).all())


def test_editing_without_touching_tags_keeps_them_and_the_diff_shows_no_tag_change(app, db, login, users):
    category = make_category(db, "售后")
    article = make_article(
        db,
        users["agent"],
        category=category,
        tags=["退货", "换货", "运费"],
        status="published",
        reviewer=users["lead"],
    )
    before = _tag_names(db)
    agent = _as(app, login, users["agent"])
    page = agent.get(f"/articles/{article.id}/edit").get_data(as_text=True)
    form = {
        "title": _input_value(page, "title"),
        "scenario": _textarea(page, "scenario"),
        "solution": _textarea(page, "solution") + "\n3. 补充一步",
        "notes": _textarea(page, "notes"),
        "category_id": category.id,
        "tags": _input_value(page, "tags"),  # exactly as rendered
        "audience": "internal",
        "version": _input_value(page, "version"),
    }
    assert agent.post(f"/articles/{article.id}/edit", data=form).status_code == 302
    db.expire_all()
    pending = db.get(ArticleRevision, db.get(Article, article.id).current_revision_id)
    assert pending.number == 2
    assert sorted(revision_tags(db, pending.id)) == sorted(["退货", "换货", "运费"])
    assert _tag_names(db) == before  # no new tag such as " 换货"
    review = _as(app, login, users["lead"]).get(f"/articles/{article.id}/review").get_data(as_text=True)
    assert "<h3>解决步骤</h3>" in review
    assert "<h3>标签</h3>" not in review


@pytest.mark.parametrize(
    "typed",
    ["退货, 换货", "退货，换货", "退货、换货", " 退货 ,换货,, 退货 ", "退货 ， 换货 、退货"],
)
def test_tags_typed_with_any_comma_are_stripped_and_deduplicated_in_order(app, db, login, users, typed):
    agent = _as(app, login, users["agent"])
    r = agent.post(
        "/articles/new", data={"title": "标签写法", "category_id": 0, "tags": typed, "audience": "internal"}
    )
    assert r.status_code == 302
    db.expire_all()
    article = db.exec(
        select(Article).where(Article.id == int(r.headers["Location"].rsplit("/", 1)[-1]))
    ).one()
    assert sorted(revision_tags(db, article.current_revision_id)) == ["换货", "退货"]
    assert _tag_names(db) == ["换货", "退货"]
    page = agent.get(f"/articles/{article.id}/edit").get_data(as_text=True)
    assert _input_value(page, "tags") in ("退货, 换货", "换货, 退货")


def test_a_tag_list_too_long_is_an_error_next_to_the_field(app, db, login, users):
    agent = _as(app, login, users["agent"])
    r = agent.post(
        "/articles/new",
        data={"title": "太多标签", "category_id": 0, "tags": ",".join(f"t{i}" for i in range(25))},
    )
    assert r.status_code == 400
    assert "最多" in _field_block(r.get_data(as_text=True), "tags").split("</div>\n</div>")[0]
    assert db.exec(select(RevisionTag)).first() is None


# --- 3. a bad ticket ID: the article page again, the error next to the field ------------------------------


def test_a_bad_ticket_id_is_answered_next_to_the_field_on_the_article_page(app, db, login, users):
    article = make_article(
        db, users["agent"], title="退款多久到账", status="published", reviewer=users["lead"]
    )
    agent = _as(app, login, users["agent"])
    r = agent.post(f"/articles/{article.id}/tickets", data={"ticket_id": "abc"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "未执行" not in page
    assert ">退款多久到账</h1>" in page  # still the article page
    field = _field_block(page, "ticket_id")
    assert field.startswith('<div class="field has-error"')
    assert "“abc”不是有效的工单号" in field
    assert _input_value(page, "ticket_id") == "abc"  # what was typed stays in the field
    r = agent.post(f"/articles/{article.id}/tickets", data={"ticket_id": "  "})
    assert r.status_code == 400 and "未执行" not in r.get_data(as_text=True)
    assert _field_block(r.get_data(as_text=True), "ticket_id").startswith('<div class="field has-error"')
    db.expire_all()
    assert db.exec(select(TicketLink)).first() is None
    ok = agent.post(f"/articles/{article.id}/tickets", data={"ticket_id": "20240312-A001"})
    assert ok.status_code == 302


def test_flagging_without_saying_what_is_outdated_is_answered_next_to_the_field(app, db, login, users):
    article = make_article(db, users["agent"], title="换货流程", status="published", reviewer=users["lead"])
    agent = _as(app, login, users["agent2"])
    r = agent.post(f"/articles/{article.id}/flag", data={"comment": "  "})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "未执行" not in page and ">换货流程</h1>" in page
    assert '<details class="kb-flag" open>' in page  # the form is not hidden behind its summary
    assert _field_block(page, "comment").startswith('<div class="field has-error"')
    db.expire_all()
    assert db.exec(select(OutdatedFlag)).first() is None


def test_an_upload_that_is_not_an_image_is_answered_next_to_the_field(app, db, login, users):
    article = make_article(db, users["agent"], title="发票抬头修改")
    agent = _as(app, login, users["agent"])
    r = agent.post(
        f"/articles/{article.id}/attachments",
        data={"image": (io.BytesIO(b"not an image at all"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "未执行" not in page and ">发票抬头修改</h1>" in page
    field = _field_block(page, "image")
    assert field.startswith('<div class="field has-error"') and 'class="error"' in field
    r = agent.post(f"/articles/{article.id}/attachments", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and _field_block(r.get_data(as_text=True), "image").startswith(
        '<div class="field has-error"'
    )
    db.expire_all()
    assert db.exec(select(Attachment)).first() is None


def test_a_feedback_reason_too_long_is_answered_next_to_the_field(app, db, login, users):
    article = make_article(
        db, users["agent"], title="退款到账时间", status="published", reviewer=users["lead"]
    )
    agent = _as(app, login, users["agent2"])
    r = agent.post(f"/articles/{article.id}/feedback", data={"helpful": "no", "reason": "太长" * 2000})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "未执行" not in page and ">退款到账时间</h1>" in page
    field = _field_block(page, "reason")
    assert field.startswith('<div class="field has-error"') and "不能超过 1000 个字符" in field
    db.expire_all()
    assert db.exec(select(Feedback)).first() is None
