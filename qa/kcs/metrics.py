"""KCS metrics for leads (Knowledge-Centered Service): link rate, reuse vs creation, citations, helpful ratio, flagged and
overdue articles, zero-result searches and the knowledge gaps QA recorded in evaluations.

Link rate = tickets of the period that have a linked article / tickets of the period that have
conversations (a ticket counts in the period when one of its conversations started in it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from articles import queries
from articles.models import TicketLink
from qa.evaluations.models import Evaluation, EvaluationStatus
from qa.interactions.models import Interaction

PERIODS = (7, 30, 90, 365)


def link_rate(tickets_with_interactions: set[str], tickets_linked: set[str]) -> dict[str, Any]:
    """{tickets, linked, rate}: only linked tickets that also have conversations count (rate ≤ 1)."""
    linked = tickets_with_interactions & tickets_linked
    n = len(tickets_with_interactions)
    return {"tickets": n, "linked": len(linked), "rate": len(linked) / n if n else None}


def reuse_share(weeks: list[dict[str, Any]]) -> float | None:
    reuse = sum(w["reuse"] for w in weeks)
    total = reuse + sum(w["creation"] for w in weeks)
    return reuse / total if total else None


@dataclass
class Dashboard:
    days: int
    since: datetime
    link: dict[str, Any]
    weeks: list[dict[str, Any]]
    reuse_share: float | None
    cited: list[dict[str, Any]]
    helpful: dict[str, Any]
    flagged: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    search: dict[str, Any] | None  # None: no search log yet
    gaps: list[Evaluation] = field(default_factory=list)


def _search_section(session: Session, since: datetime, today: date) -> dict[str, Any] | None:
    try:
        from articles.search import analytics
    except ImportError:  # the search package is not installed: show "no search data yet"
        return None
    period = analytics.Period(since.date(), today)
    summary = analytics.summary(session, period)
    if summary.searches == 0:
        return None
    return {
        "searches": summary.searches,
        "zero": summary.zero_results,
        "rate": summary.zero_rate,
        "queries": analytics.zero_result_queries(session, period, limit=15),
    }


def knowledge_gaps(session: Session, since: datetime, limit: int = 50) -> list[Evaluation]:
    """Released evaluations that named a missing or unused article, newest first."""
    return list(
        session.exec(
            select(Evaluation)
            .where(
                col(Evaluation.is_calibration).is_(False),
                col(Evaluation.status) != EvaluationStatus.DRAFT.value,
                col(Evaluation.submitted_at) >= since,
                or_(
                    col(Evaluation.no_article).is_(True),
                    col(Evaluation.gap_note) != "",
                    col(Evaluation.article_id).is_not(None),
                ),
            )
            .order_by(col(Evaluation.submitted_at).desc())
            .limit(limit)
        )
    )


def dashboard(session: Session, days: int, now: datetime | None = None) -> Dashboard:
    """Every figure of the KCS dashboard over the last ``days`` days."""
    now = now or datetime.now(UTC)
    since = datetime.combine(now.date() - timedelta(days=days - 1), time.min, tzinfo=UTC)
    with_interactions = set(
        session.exec(select(Interaction.ticket_id).where(Interaction.started_at >= since).distinct())
    )
    linked = set(session.exec(select(TicketLink.ticket_id).distinct())) if with_interactions else set()
    weeks = queries.reuse_vs_creation_by_week(session, since)
    return Dashboard(
        days=days,
        since=since,
        link=link_rate(with_interactions, linked),
        weeks=weeks,
        reuse_share=reuse_share(weeks),
        cited=queries.citations_per_article(session, limit=10),
        helpful=queries.helpful_ratio(session, since),
        flagged=queries.flagged_articles(session),
        overdue=queries.overdue_articles(session, now.date()),
        search=_search_section(session, since, now.date()),
        gaps=knowledge_gaps(session, since),
    )
