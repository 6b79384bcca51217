"""An image added to a published article is a change like any other: it goes into a pending revision, the
live page keeps showing the live revision's images until a lead other than the revision's author approves,
and a rejected image never reaches the live page nor the readers of it (issue 22, "review bypassed")."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlmodel import select

from articles import attachments, editing
from articles.content import ArticleInput
from articles.models import Article, Attachment
from tests.factories import make_article, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32


@pytest.fixture
def users(db):
    return {
        "author": make_user(db, "img_author", ("agent",)),
        "helper": make_user(db, "img_helper", ("agent",)),
        "reader": make_user(db, "img_reader", ("agent",)),
        "lead": make_user(db, "img_lead", ("lead",)),
        "lead2": make_user(db, "img_lead2", ("lead",)),
    }


def _as(app, login, user):
    client = app.test_client()
    login(user, client)
    return client


def _version(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def _upload(client, article_id: int, data: bytes, name: str):
    return client.post(
        f"/articles/{article_id}/attachments",
        data={"image": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _only_attachment(db) -> Attachment:
    db.expire_all()
    return db.exec(select(Attachment)).one()


def _shows(client, article_id: int, item: Attachment) -> bool:
    html = client.get(f"/articles/{article_id}").get_data(as_text=True)
    return f"/articles/attachments/{item.id}" in html


def _submit(client, article_id: int) -> None:
    html = client.get(f"/articles/{article_id}?pending=1").get_data(as_text=True)
    assert client.post(f"/articles/{article_id}/submit", data={"version": _version(html)}).status_code == 302


@pytest.mark.parametrize("outcome", ["approve", "reject"])
def test_an_image_for_a_published_article_waits_for_review(app, db, login, users, outcome):
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    helper, reader = _as(app, login, users["helper"]), _as(app, login, users["reader"])
    lead = _as(app, login, users["lead"])

    response = _upload(helper, article.id, PNG, "新的截图.png")
    assert response.status_code == 302
    assert "pending=1" in response.headers["Location"]  # the uploader is shown their pending revision
    item = _only_attachment(db)

    # The live page and the file itself stay as they were for every other reader.
    assert not _shows(reader, article.id, item)
    assert reader.get(f"/articles/attachments/{item.id}").status_code == 404
    # The uploader sees it in their pending revision and can read the file.
    html = helper.get(f"/articles/{article.id}?pending=1").get_data(as_text=True)
    assert f"/articles/attachments/{item.id}" in html and "待审核上线" in html
    assert helper.get(f"/articles/attachments/{item.id}").status_code == 200

    _submit(helper, article.id)
    review = lead.get(f"/articles/{article.id}/review").get_data(as_text=True)
    images = review[review.index('class="card kb-review-images"') :]
    assert "新的截图.png" in images and "新增" in images  # the diff names the added image
    assert f"/articles/attachments/{item.id}" in images
    assert lead.get(f"/articles/attachments/{item.id}").status_code == 200
    assert not _shows(reader, article.id, item)  # submitting publishes nothing

    if outcome == "approve":
        r = lead.post(f"/articles/{article.id}/approve", data={"version": _version(review)})
        assert r.status_code == 302
        assert _shows(reader, article.id, item)
        assert reader.get(f"/articles/attachments/{item.id}").status_code == 200
    else:
        r = lead.post(
            f"/articles/{article.id}/reject", data={"version": _version(review), "comment": "图不清楚"}
        )
        assert r.status_code == 302
        assert not _shows(reader, article.id, item)
        assert reader.get(f"/articles/attachments/{item.id}").status_code == 404
        db.expire_all()
        assert db.get(Article, article.id).status == "published"


def test_a_lead_s_own_image_needs_another_lead(app, db, login, users):
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    lead, lead2 = _as(app, login, users["lead"]), _as(app, login, users["lead2"])
    reader = _as(app, login, users["reader"])
    assert _upload(lead, article.id, PNG, "lead.png").status_code == 302
    item = _only_attachment(db)
    assert not _shows(reader, article.id, item)
    _submit(lead, article.id)
    review = lead.get(f"/articles/{article.id}/review").get_data(as_text=True)
    assert lead.post(f"/articles/{article.id}/approve", data={"version": _version(review)}).status_code == 403
    assert not _shows(reader, article.id, item)
    review = lead2.get(f"/articles/{article.id}/review").get_data(as_text=True)
    assert (
        lead2.post(f"/articles/{article.id}/approve", data={"version": _version(review)}).status_code == 302
    )
    assert _shows(reader, article.id, item)


def test_several_images_go_into_the_same_pending_revision(app, db, login, users):
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    helper = _as(app, login, users["helper"])
    assert _upload(helper, article.id, PNG, "a.png").status_code == 302
    assert _upload(helper, article.id, GIF, "b.gif").status_code == 302
    db.expire_all()
    article = db.get(Article, article.id)
    items = db.exec(select(Attachment).order_by(Attachment.id)).all()
    pending = article.current_revision_id
    assert pending != article.live_revision_id
    assert [i.id for i in attachments.revision_attachments(db, pending)] == [i.id for i in items]
    assert attachments.revision_attachments(db, article.live_revision_id) == []
    # Another agent may not add to someone else's pending edit, as they may not edit its text.
    other = _as(app, login, users["reader"])
    assert _upload(other, article.id, PNG, "c.png").status_code == 403


def test_an_image_in_review_cannot_be_added_to(app, db, login, users):
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    helper = _as(app, login, users["helper"])
    assert _upload(helper, article.id, PNG, "a.png").status_code == 302
    _submit(helper, article.id)
    assert _upload(helper, article.id, GIF, "b.gif").status_code == 409
    db.expire_all()
    assert len(db.exec(select(Attachment)).all()) == 1


def test_a_draft_author_attaches_to_their_draft_directly(app, db, login, users):
    article = make_article(db, users["author"])
    author = _as(app, login, users["author"])
    assert _upload(author, article.id, PNG, "a.png").status_code == 302
    db.expire_all()
    article = db.get(Article, article.id)
    assert article.current_revision_id is not None
    item = _only_attachment(db)
    assert [a.id for a in attachments.revision_attachments(db, article.current_revision_id)] == [item.id]
    assert _shows(author, article.id, item)
    assert _as(app, login, users["reader"]).get(f"/articles/attachments/{item.id}").status_code == 404


def test_live_images_are_carried_into_the_next_revision_and_restoring_drops_them(app, db, login, users):
    """An edit keeps the images its base revision has; restoring an older revision restores its images,
    and the review page says which image would be removed."""
    article = make_article(db, users["author"], status="published", reviewer=users["lead"])
    helper, lead2 = _as(app, login, users["helper"]), _as(app, login, users["lead2"])
    reader = _as(app, login, users["reader"])
    assert _upload(helper, article.id, PNG, "keep.png").status_code == 302
    _submit(helper, article.id)
    review = lead2.get(f"/articles/{article.id}/review").get_data(as_text=True)
    assert (
        lead2.post(f"/articles/{article.id}/approve", data={"version": _version(review)}).status_code == 302
    )
    item = _only_attachment(db)
    assert _shows(reader, article.id, item)

    db.expire_all()
    article = db.get(Article, article.id)
    editing.update_article(
        db, users["reader"], article.id, ArticleInput(solution="1. 新步骤"), article.version
    )
    db.commit()
    db.expire_all()
    article = db.get(Article, article.id)
    assert [a.id for a in attachments.revision_attachments(db, article.current_revision_id)] == [item.id]
    assert _shows(reader, article.id, item)  # still live while the text edit waits

    editing.restore_revision(db, users["reader"], article.id, _first_revision_id(db, article.id))
    db.commit()
    db.expire_all()
    article = db.get(Article, article.id)
    assert attachments.revision_attachments(db, article.current_revision_id) == []
    _submit(reader, article.id)
    review = lead2.get(f"/articles/{article.id}/review").get_data(as_text=True)
    images = review[review.index('class="card kb-review-images"') :]
    assert "keep.png" in images and "移除" in images
    # The history compares the two newest revisions by default and names the image too.
    history = lead2.get(f"/articles/{article.id}/history").get_data(as_text=True)
    images = history[history.index('class="kb-diff-field kb-history-images"') :]
    assert "keep.png" in images and "移除" in images


def _first_revision_id(db, article_id: int) -> int:
    from articles.models import ArticleRevision

    return db.exec(
        select(ArticleRevision.id).where(
            ArticleRevision.article_id == article_id, ArticleRevision.number == 1
        )
    ).one()
