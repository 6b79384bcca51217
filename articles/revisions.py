"""Reading an article's revisions: which one is live, which one is pending, and its content and tags."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from articles.categories import tag_ids
from articles.errors import NotFound
from articles.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    RevisionAttachment,
    RevisionStatus,
    RevisionTag,
    Tag,
)
from portal.db import saved_id


def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(_l("This article does not exist."))
    return article


def current_revision(session: Session, article: Article) -> ArticleRevision:
    rev = session.get(ArticleRevision, article.current_revision_id)
    if rev is None:  # every stored article has a working revision: only a damaged database gets here
        raise RuntimeError(f"article {article.id} has no current revision")
    return rev


def live_revision(session: Session, article: Article) -> ArticleRevision | None:
    if article.live_revision_id is None or article.state is ArticleStatus.ARCHIVED:
        return None
    return session.get(ArticleRevision, article.live_revision_id)


def pending_revision(session: Session, article: Article) -> ArticleRevision | None:
    """The revision waiting for (or in) review, if the newest revision is not the live one."""
    if article.current_revision_id == article.live_revision_id:
        return None
    rev = current_revision(session, article)
    return rev if rev is not None and rev.state.is_pending() else None


def revision_tags(session: Session, revision_id: int) -> list[str]:
    query = (
        select(Tag.name)
        .join(RevisionTag, col(RevisionTag.tag_id) == Tag.id)
        .where(RevisionTag.revision_id == revision_id)
        .order_by(Tag.name)
    )
    return list(session.exec(query).all())


def revision_content(session: Session, rev: ArticleRevision) -> dict[str, Any]:
    return {
        "title": rev.title,
        "scenario": rev.scenario,
        "solution": rev.solution,
        "notes": rev.notes,
        "category_id": rev.category_id,
        "tags": revision_tags(session, saved_id(rev)),
        "audience": rev.audience,
    }


def set_revision_tags(session: Session, revision_id: int, names: list[str]) -> None:
    for link in session.exec(select(RevisionTag).where(RevisionTag.revision_id == revision_id)).all():
        session.delete(link)
    session.flush()
    for tag_id in tag_ids(session, names):
        session.add(RevisionTag(revision_id=revision_id, tag_id=tag_id))


def copy_revision_images(session: Session, from_revision_id: int, to_revision_id: int) -> None:
    """A new revision starts with the images of the revision it was made from, as it starts with its text."""
    query = select(RevisionAttachment.attachment_id).where(RevisionAttachment.revision_id == from_revision_id)
    for attachment_id in session.exec(query).all():
        session.add(RevisionAttachment(revision_id=to_revision_id, attachment_id=attachment_id))


_UNPUBLISHED_STATUS = {
    RevisionStatus.DRAFT: ArticleStatus.DRAFT,
    RevisionStatus.IN_REVIEW: ArticleStatus.IN_REVIEW,
    RevisionStatus.REJECTED: ArticleStatus.REJECTED,
}


def sync_unpublished_status(article: Article, rev: ArticleRevision) -> None:
    """An article that was never published (or is no longer live) has its working revision's state."""
    if article.state in (ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED):
        return
    if rev.state in _UNPUBLISHED_STATUS:
        article.status = _UNPUBLISHED_STATUS[rev.state].value
