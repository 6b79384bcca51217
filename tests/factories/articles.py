"""Articles, categories and workflow shortcuts."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from articles import content, editing, lifecycle
from articles.categories import create_category
from articles.models import Article, Category
from portal.models import User

_seq = itertools.count(1)


def make_category(db: Session, name: str | None = None, parent: Category | None = None) -> Category:
    """A committed category (top-level unless ``parent``)."""
    category = create_category(db, None, name or f"分类{next(_seq)}", parent.id if parent else None)
    db.commit()
    return category


def make_article(
    db: Session,
    author: User,
    *,
    title: str | None = None,
    scenario: str = "客户反映无法登录 App",
    solution: str = "1. 确认账号\n2. 重置密码",
    notes: str = "",
    category: Category | None = None,
    tags: list[str] | None = None,
    external_id: str | None = None,
    status: str = "draft",
    reviewer: User | None = None,
) -> Article:
    """A committed article by ``author`` brought to ``status`` (draft, in_review, published, rejected,
    archived); ``reviewer`` (a lead, not the author) is needed past in_review."""
    article = editing.create_article(
        db,
        author,
        content.ArticleInput(
            title=title or f"登录失败怎么办 {next(_seq)}",
            scenario=scenario,
            solution=solution,
            notes=notes,
            category_id=category.id if category else None,
            tags=tags or [],
            external_id=external_id,
        ),
    )
    if status != "draft":
        lifecycle.submit_article(db, author, article.id)
    if status in ("published", "archived"):
        lifecycle.approve_article(db, reviewer, article.id)
    if status == "rejected":
        lifecycle.reject_article(db, reviewer, article.id, "步骤不完整")
    if status == "archived":
        lifecycle.archive_article(db, reviewer, article.id)
    db.commit()
    return article
