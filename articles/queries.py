"""Read-only queries: lists for the pages, the ticket page's articles and the KCS dashboard counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_
from sqlmodel import Session, col, func, select

from articles.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Feedback,
    OutdatedFlag,
    RevisionStatus,
    TicketLink,
)
from portal.models import User
from portal.timeutil import utcnow


@dataclass
class ArticleRow:
    """An article with the revision a list shows (live if any, else the newest)."""

    article: Article
    revision: ArticleRevision


def _shown_revision_join() -> ColumnElement[bool]:
    live_or_current = case(
        (
            and_(
                col(Article.status) == ArticleStatus.PUBLISHED.value,
                col(Article.live_revision_id).is_not(None),
            ),
            col(Article.live_revision_id),
        ),
        else_=col(Article.current_revision_id),
    )
    return col(ArticleRevision.id) == live_or_current


def articles_for_ticket(session: Session, ticket_id: str) -> list[dict[str, Any]]:
    """Articles linked to ``ticket_id`` (any state except nothing is hidden: the ticket page shows them
    all with their status), oldest link first: [{id, title, status, url, linked_at, linked_by, reuse}]."""
    query = (
        select(TicketLink, Article, ArticleRevision)
        .join(Article, col(Article.id) == TicketLink.article_id)
        .join(ArticleRevision, _shown_revision_join())
        .where(TicketLink.ticket_id == ticket_id)
        .order_by(col(TicketLink.created_at), col(TicketLink.id))
    )
    rows = []
    for link, article, rev in session.exec(query).all():
        rows.append(
            {
                "id": article.id,
                "external_id": article.external_id,
                "title": rev.title,
                "status": article.status,
                "url": f"/articles/{article.id}",
                "linked_at": link.created_at,
                "linked_by": link.user_id,
                "reuse": link.reuse,
            }
        )
    return rows


def tickets_for_article(session: Session, article_id: int) -> list[TicketLink]:
    return list(
        session.exec(
            select(TicketLink)
            .where(TicketLink.article_id == article_id)
            .order_by(col(TicketLink.created_at).desc())
        ).all()
    )


def review_queue(session: Session) -> list[ArticleRow]:
    """Revisions waiting for review, oldest submission first (fair queue)."""
    query = (
        select(Article, ArticleRevision)
        .join(ArticleRevision, col(ArticleRevision.id) == Article.current_revision_id)
        .where(ArticleRevision.status == RevisionStatus.IN_REVIEW.value)
        .where(Article.status != ArticleStatus.ARCHIVED.value)
        .order_by(col(ArticleRevision.submitted_at), col(Article.id))
    )
    return [ArticleRow(a, r) for a, r in session.exec(query).all()]


def my_revisions(
    session: Session, user: User, limit: int = 200
) -> list[tuple[Article, ArticleRevision, str]]:
    """Every revision the user wrote, newest first, with the title the article shows today."""
    query = (
        select(Article, ArticleRevision)
        .join(ArticleRevision, col(ArticleRevision.article_id) == Article.id)
        .where(ArticleRevision.author_id == user.id)
        .order_by(col(ArticleRevision.updated_at).desc(), col(ArticleRevision.id).desc())
        .limit(limit)
    )
    return [(a, r, r.title) for a, r in session.exec(query).all()]


def revisions_of(session: Session, article_id: int) -> list[ArticleRevision]:
    return list(
        session.exec(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article_id)
            .order_by(col(ArticleRevision.number).desc())
        ).all()
    )


def list_published(
    session: Session, *, category_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ArticleRow], int]:
    """Published articles, most recently published first, for the browse page."""
    base = (
        select(Article, ArticleRevision)
        .join(ArticleRevision, col(ArticleRevision.id) == Article.live_revision_id)
        .where(Article.status == ArticleStatus.PUBLISHED.value)
    )
    if category_id is not None:
        base = base.where(ArticleRevision.category_id == category_id)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(
        base.order_by(col(Article.published_at).desc(), col(Article.id).desc()).limit(limit).offset(offset)
    ).all()
    return [ArticleRow(a, r) for a, r in rows], total


def open_flags(session: Session, article_id: int | None = None) -> list[OutdatedFlag]:
    query = (
        select(OutdatedFlag)
        .where(col(OutdatedFlag.resolved_at).is_(None))
        .order_by(col(OutdatedFlag.created_at))
    )
    if article_id is not None:
        query = query.where(OutdatedFlag.article_id == article_id)
    return list(session.exec(query).all())


def verification_queue(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    """Published articles flagged as outdated or past their review date, most urgent first:
    [{article, revision, flags: [OutdatedFlag], overdue_days}]."""
    today = today or utcnow().date()
    flagged_ids = select(OutdatedFlag.article_id).where(col(OutdatedFlag.resolved_at).is_(None))
    query = (
        select(Article, ArticleRevision)
        .join(ArticleRevision, col(ArticleRevision.id) == Article.live_revision_id)
        .where(Article.status == ArticleStatus.PUBLISHED.value)
        .where(or_(col(Article.review_due) < today, col(Article.id).in_(flagged_ids)))
        .order_by(col(Article.review_due), col(Article.id))
    )
    rows = session.exec(query).all()
    flags: dict[int | None, list[OutdatedFlag]] = {}
    for flag in open_flags(session):
        flags.setdefault(flag.article_id, []).append(flag)
    result: list[dict[str, Any]] = []
    for article, rev in rows:
        overdue = (
            (today - article.review_due).days if article.review_due and article.review_due < today else 0
        )
        result.append(
            {"article": article, "revision": rev, "flags": flags.get(article.id, []), "overdue_days": overdue}
        )
    result.sort(key=lambda r: (-len(r["flags"]), -r["overdue_days"]))
    return result


def feedback_summary(session: Session, article_id: int) -> dict[str, Any]:
    """Helpful / not helpful counts and the ratio (None when nobody voted)."""
    helpful, total = session.exec(
        select(
            func.coalesce(func.sum(case((col(Feedback.helpful), 1), else_=0)), 0),
            func.count(col(Feedback.id)),
        ).where(Feedback.article_id == article_id)
    ).one()
    return {
        "helpful": int(helpful),
        "not_helpful": int(total) - int(helpful),
        "total": int(total),
        "ratio": (int(helpful) / int(total)) if total else None,
    }


def recent_feedback(session: Session, article_id: int, limit: int = 20) -> list[Feedback]:
    return list(
        session.exec(
            select(Feedback)
            .where(Feedback.article_id == article_id, Feedback.reason != "")
            .order_by(col(Feedback.created_at).desc())
            .limit(limit)
        ).all()
    )


# KCS dashboard ----------------------------------------------------------------------------------


def _week_start(value: datetime | date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    return day - timedelta(days=day.weekday())


def tickets_linked_count(session: Session, since: datetime | None = None) -> int:
    """Distinct tickets with at least one linked article (the numerator of the KCS link rate)."""
    query = select(func.count(func.distinct(TicketLink.ticket_id)))
    if since is not None:
        query = query.where(TicketLink.created_at >= since)
    return int(session.exec(query).one())


def reuse_vs_creation_by_week(session: Session, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per ISO week (Monday): links to already-live articles (reuse) and links that led to a new
    article (creation): [{week: date, reuse, creation}] oldest first."""
    query = select(TicketLink.created_at, TicketLink.reuse)
    if since is not None:
        query = query.where(TicketLink.created_at >= since)
    weeks: dict[date, dict[str, Any]] = {}
    for created_at, reuse in session.exec(query).all():
        week = _week_start(created_at)
        row = weeks.setdefault(week, {"week": week, "reuse": 0, "creation": 0})
        row["reuse" if reuse else "creation"] += 1
    return [weeks[k] for k in sorted(weeks)]


def citations_per_article(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Articles by number of linked tickets, most cited first: [{id, title, citations}]."""
    count = func.count(col(TicketLink.id)).label("citations")
    query = (
        select(Article.id, ArticleRevision.title, count)
        .join(Article, col(Article.id) == TicketLink.article_id)
        .join(ArticleRevision, _shown_revision_join())
        .group_by(col(Article.id), col(ArticleRevision.title))
        .order_by(count.desc(), col(Article.id))
        .limit(limit)
    )
    return [{"id": i, "title": t, "citations": int(c)} for i, t, c in session.exec(query).all()]


def helpful_ratio(session: Session, since: datetime | None = None) -> dict[str, Any]:
    """Helpful votes over all votes, across the knowledge base."""
    query = select(
        func.coalesce(func.sum(case((col(Feedback.helpful), 1), else_=0)), 0), func.count(col(Feedback.id))
    )
    if since is not None:
        query = query.where(Feedback.created_at >= since)
    helpful, total = session.exec(query).one()
    return {
        "helpful": int(helpful),
        "total": int(total),
        "ratio": (int(helpful) / int(total)) if total else None,
    }


def flagged_articles(session: Session) -> list[dict[str, Any]]:
    return [r for r in verification_queue(session) if r["flags"]]


def overdue_articles(session: Session, today: date | None = None) -> list[dict[str, Any]]:
    return [r for r in verification_queue(session, today) if r["overdue_days"] > 0]


def status_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Article.status, func.count()).group_by(Article.status)).all()
    return {status: int(n) for status, n in rows}
