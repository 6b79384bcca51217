"""The JSON shape of an article and a revision, and their OpenAPI schemas."""

from __future__ import annotations

from typing import Any

from articles import queries
from articles.access import can_view_pending
from articles.categories import category_paths
from articles.content import FIELD_MAX
from articles.models import TITLE_MAX, Article, ArticleRevision, ArticleStatus, Audience, RevisionStatus
from articles.revisions import current_revision, live_revision, pending_revision, revision_tags
from portal.api import openapi
from portal.auth import current_actor


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
        "tags": revision_tags(session, rev.id),
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
    summary = queries.feedback_summary(session, article.id)
    body = {
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
        "tickets": [link.ticket_id for link in queries.tickets_for_article(session, article.id)],
        "feedback": {k: summary[k] for k in ("helpful", "not_helpful")},
        "url": f"/articles/{article.id}",
    }
    for name in ("title", "scenario", "solution", "notes", "category_id", "category", "tags", "audience"):
        body[name] = body["revision"][name]
    return body


NULLABLE_STR = {"type": "string", "nullable": True}
INPUT_PROPS = {
    "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
    "scenario": {"type": "string", "maxLength": FIELD_MAX},
    "solution": {"type": "string", "maxLength": FIELD_MAX, "description": "Markdown"},
    "notes": {"type": "string", "maxLength": FIELD_MAX},
    "category_id": {"type": "integer", "nullable": True},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 50}, "maxItems": 20},
    "audience": {"type": "string", "enum": [a.value for a in Audience]},
    "external_id": {"type": "string", "maxLength": 100, "nullable": True},
}
REVISION = openapi.schema(
    "ArticleRevision",
    {
        "type": "object",
        "required": ["id", "number", "status", "title"],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in RevisionStatus]},
            "title": {"type": "string"},
            "scenario": {"type": "string"},
            "solution": {"type": "string"},
            "notes": {"type": "string"},
            "category_id": {"type": "integer", "nullable": True},
            "category": NULLABLE_STR,
            "tags": {"type": "array", "items": {"type": "string"}},
            "audience": {"type": "string"},
            "author_id": {"type": "integer", "nullable": True},
            "review_comment": NULLABLE_STR,
            "reviewer_id": {"type": "integer", "nullable": True},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
)
ARTICLE = openapi.schema(
    "Article",
    {
        "type": "object",
        "required": ["id", "status", "version", "title", "revision"],
        "properties": {
            "id": {"type": "integer"},
            "external_id": NULLABLE_STR,
            "status": {"type": "string", "enum": [s.value for s in ArticleStatus]},
            "version": {"type": "integer"},
            "author_id": {"type": "integer", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "published_at": {"type": "string", "format": "date-time", "nullable": True},
            "review_due": {"type": "string", "format": "date", "nullable": True},
            "live_revision_id": {"type": "integer", "nullable": True},
            "revision": REVISION,
            "tickets": {"type": "array", "items": {"type": "string"}},
            "feedback": {
                "type": "object",
                "properties": {"helpful": {"type": "integer"}, "not_helpful": {"type": "integer"}},
            },
            "url": {"type": "string"},
            **{k: v for k, v in INPUT_PROPS.items() if k != "external_id"},
            "category": NULLABLE_STR,
        },
    },
)
