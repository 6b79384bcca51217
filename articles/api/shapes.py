"""The JSON of an article and a revision, as described by ``schemas.Article`` and ``schemas.ArticleRevision``
(they are built here from several queries; the models document the shape)."""

from __future__ import annotations

from typing import Any

from articles import queries
from articles.access import can_view_pending
from articles.categories import category_paths
from articles.models import Article, ArticleRevision
from articles.revisions import current_revision, live_revision, pending_revision, revision_tags
from portal.auth import current_actor
from portal.db import saved_id


def revision_json(session, rev: ArticleRevision, paths: dict[int, str]) -> dict[str, Any]:
    return {
        "id": rev.id,
        "number": rev.number,
        "status": rev.status,
        "title": rev.title,
        "scenario": rev.scenario,
        "solution": rev.solution,
        "notes": rev.notes,
        "category_id": rev.category_id,
        "category": paths.get(rev.category_id) if rev.category_id else None,
        "tags": revision_tags(session, saved_id(rev)),
        "audience": rev.audience,
        "author_id": rev.author_id,
        "review_comment": rev.review_comment,
        "reviewer_id": rev.reviewer_id,
        "submitted_at": rev.submitted_at.isoformat() if rev.submitted_at else None,
        "reviewed_at": rev.reviewed_at.isoformat() if rev.reviewed_at else None,
    }


def article_json(session, article: Article) -> dict[str, Any]:
    """The article as the caller may see it: content of the working revision if they may see pending
    work, else of the live revision; both ids are given."""
    actor = current_actor()
    paths = category_paths(session)
    live = live_revision(session, article)
    pending = pending_revision(session, article)
    show = pending if pending is not None and can_view_pending(session, actor, article) else None
    shown = show or live or current_revision(session, article)
    summary = queries.feedback_summary(session, saved_id(article))
    body: dict[str, Any] = {
        "id": article.id,
        "external_id": article.external_id,
        "status": article.status,
        "version": article.version,
        "author_id": article.author_id,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "review_due": article.review_due.isoformat() if article.review_due else None,
        "live_revision_id": live.id if live else None,
        "revision": revision_json(session, shown, paths),
        "tickets": [link.ticket_id for link in queries.tickets_for_article(session, saved_id(article))],
        "feedback": {k: summary[k] for k in ("helpful", "not_helpful")},
        "url": f"/articles/{article.id}",
    }
    for name in ("title", "scenario", "solution", "notes", "category_id", "category", "tags", "audience"):
        body[name] = body["revision"][name]
    return body
