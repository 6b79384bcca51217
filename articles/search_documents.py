"""What the search index stores for an article (the contract with search_index/).

Rule: an article with a live published revision is found by that revision, with status 'published'
(a pending edit does not change what agents find); otherwise by its newest revision with the article's
status.  ``content_hash`` changes whenever any stored field changes, so the index can detect drift.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from articles.categories import category_paths
from articles.models import Article, ArticleRevision, ArticleStatus
from articles.rendering import markdown_to_text
from articles.revision_batches import article_pages, shown_revision_id, shown_revisions, tags_by_revision
from portal.db import saved_id


def _document(
    article: Article, rev: ArticleRevision, tags: list[str], paths: dict[int, str]
) -> dict[str, Any]:
    doc = {
        "id": article.id,
        "external_id": article.external_id,
        "title": rev.title,
        "scenario": rev.scenario or "",
        "solution": markdown_to_text(rev.solution),
        "notes": rev.notes or "",
        "tags": tags,
        "category": paths.get(rev.category_id, "") if rev.category_id else "",
        "category_id": rev.category_id,
        "status": ArticleStatus.PUBLISHED.value
        if rev.id == article.live_revision_id and article.status == ArticleStatus.PUBLISHED
        else article.status,
        "audience": rev.audience,
        "updated_at": article.updated_at,
    }
    hashed = {k: v for k, v in doc.items() if k not in ("updated_at", "id")}
    doc["content_hash"] = hashlib.sha256(
        json.dumps(hashed, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
    return doc


def search_document(session: Session, article_id: int) -> dict[str, Any] | None:
    """The document the index stores for ``article_id``; None when the article does not exist."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    rev = session.get(ArticleRevision, shown_revision_id(article))
    if rev is None:
        return None
    return _document(
        article,
        rev,
        tags_by_revision(session, [saved_id(rev)]).get(saved_id(rev), []),
        category_paths(session),
    )


def search_documents(session: Session, article_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Documents of many articles in a few queries (for applying a batch of index changes); missing
    articles are absent from the result."""
    result: dict[int, dict[str, Any]] = {}
    paths = category_paths(session)
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), 500):
        articles = session.exec(select(Article).where(col(Article.id).in_(ids[start : start + 500]))).all()
        revisions, tags = shown_revisions(session, list(articles))
        for article in articles:
            rev = revisions.get(saved_id(article))
            if rev is not None:
                result[saved_id(article)] = _document(article, rev, tags.get(saved_id(rev), []), paths)
    return result


def iter_search_documents(session: Session, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every article's document, in id order, reading ``batch`` articles per round trip (keyset paging)."""
    paths = category_paths(session)
    for articles in article_pages(session, batch):
        revisions, tags = shown_revisions(session, articles)
        for article in articles:
            rev = revisions.get(saved_id(article))
            if rev is not None:
                yield _document(article, rev, tags.get(saved_id(rev), []), paths)
        # Do not keep 69,000 ORM objects alive in the caller's session (only the ones loaded here).
        for obj in (*articles, *revisions.values()):
            if obj in session and not session.is_modified(obj):
                session.expunge(obj)
