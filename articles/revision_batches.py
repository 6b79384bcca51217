"""Reading many articles with the revision a reader is shown, a batch at a time (export, search index)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, col, select

from articles.models import Article, ArticleRevision, ArticleStatus, RevisionTag, Tag
from portal.db import saved_id


def shown_revision_id(article: Article) -> int | None:
    """The live revision of a published article, else the newest one."""
    if article.live_revision_id is not None and article.status == ArticleStatus.PUBLISHED:
        return article.live_revision_id
    return article.current_revision_id


def tags_by_revision(session: Session, revision_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    if not revision_ids:
        return tags
    query = (
        select(RevisionTag.revision_id, Tag.name)
        .join(Tag, col(Tag.id) == RevisionTag.tag_id)
        .where(col(RevisionTag.revision_id).in_(revision_ids))
        .order_by(Tag.name)
    )
    for revision_id, name in session.exec(query).all():
        tags.setdefault(revision_id, []).append(name)
    return tags


def shown_revisions(
    session: Session, articles: list[Article]
) -> tuple[dict[int, ArticleRevision], dict[int, list[str]]]:
    """article id → its shown revision (absent when it has none), and revision id → tag names; two queries."""
    wanted = {saved_id(a): shown_revision_id(a) for a in articles}
    loaded = {
        saved_id(r): r
        for r in session.exec(
            select(ArticleRevision).where(col(ArticleRevision.id).in_([r for r in wanted.values() if r]))
        ).all()
    }
    revisions = {a: loaded[r] for a, r in wanted.items() if r in loaded}
    return revisions, tags_by_revision(session, list(loaded))


def article_pages(session: Session, batch: int) -> Iterator[list[Article]]:
    """Every article in id order, ``batch`` per round trip (keyset paging, so no page is skipped)."""
    last_id = 0
    while True:
        articles = session.exec(
            select(Article).where(col(Article.id) > last_id).order_by(col(Article.id)).limit(batch)
        ).all()
        if not articles:
            return
        yield list(articles)
        last_id = saved_id(articles[-1])
