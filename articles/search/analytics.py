"""Search analytics for leads: volume, zero-result queries (knowledge gaps), click-through, per category.

Plain queries on ``search_log``; the KCS report of the knowledge base can reuse :func:`summary` and
:func:`zero_result_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from search_index.models import SearchLog

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive (UTC)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date | None = None) -> Period:
        """From ``YYYY-MM-DD`` strings; missing or invalid values fall back to the last 30 days."""
        today = today or datetime.now(UTC).date()

        def _day(value: str | None) -> date | None:
            try:
                return date.fromisoformat((value or "").strip()) if value else None
            except ValueError:
                return None

        end_day = _day(end) or today
        start_day = _day(start) or end_day - timedelta(days=DEFAULT_DAYS - 1)
        if start_day > end_day:
            start_day, end_day = end_day, start_day
        return cls(start_day, end_day)


@dataclass
class Summary:
    searches: int = 0
    zero_results: int = 0
    clicked: int = 0

    @property
    def zero_rate(self) -> float:
        return self.zero_results / self.searches if self.searches else 0.0

    @property
    def ctr(self) -> float:
        """Click-through rate: share of searches (with results) whose user opened a result."""
        with_results = self.searches - self.zero_results
        return self.clicked / with_results if with_results else 0.0


@dataclass
class QueryRow:
    query: str
    searches: int
    zero_results: int = 0
    clicked: int = 0
    avg_results: float = 0.0
    last_seen: datetime | None = None

    @property
    def ctr(self) -> float:
        with_results = self.searches - self.zero_results
        return self.clicked / with_results if with_results else 0.0


@dataclass
class Report:
    period: Period
    summary: Summary
    top_queries: list[QueryRow] = field(default_factory=list)
    zero_queries: list[QueryRow] = field(default_factory=list)
    categories: list[QueryRow] = field(default_factory=list)


def _in(period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (col(SearchLog.created_at) >= period.since, col(SearchLog.created_at) < period.until)


_ZERO = func.sum(case((col(SearchLog.result_count) == 0, 1), else_=0))
_CLICKED = func.sum(case((col(SearchLog.clicked_article_id).is_not(None), 1), else_=0))


def summary(session: Session, period: Period) -> Summary:
    searches, zero, clicked = session.exec(select(func.count(), _ZERO, _CLICKED).where(*_in(period))).one()
    return Summary(int(searches or 0), int(zero or 0), int(clicked or 0))


def top_queries(session: Session, period: Period, limit: int = 20) -> list[QueryRow]:
    """Most frequent queries (grouped by their normal form), with their zero-result count and CTR."""
    # sqlmodel's ``select`` is typed for at most four columns; its ``Select`` class is what it builds for more.
    statement: Select[str, int, int | None, int | None, float | None, datetime | None] = Select(
        func.max(SearchLog.query),
        func.count(),
        _ZERO,
        _CLICKED,
        func.avg(SearchLog.result_count),
        func.max(SearchLog.created_at),
    )
    rows = session.exec(
        statement.where(*_in(period))
        .group_by(SearchLog.query_norm)
        .order_by(func.count().desc(), SearchLog.query_norm)
        .limit(limit)
    ).all()
    return [
        QueryRow(q, int(n), int(z or 0), int(c or 0), float(a or 0), last) for q, n, z, c, a, last in rows
    ]


def zero_result_queries(session: Session, period: Period, limit: int = 20) -> list[QueryRow]:
    """Queries that found nothing, most frequent first: the knowledge gaps to write articles for."""
    rows = session.exec(
        select(func.max(SearchLog.query), func.count(), func.max(SearchLog.created_at))
        .where(*_in(period), SearchLog.result_count == 0)
        .group_by(SearchLog.query_norm)
        .order_by(func.count().desc(), SearchLog.query_norm)
        .limit(limit)
    ).all()
    return [QueryRow(q, int(n), zero_results=int(n), last_seen=last) for q, n, last in rows]


def per_category(session: Session, period: Period) -> list[QueryRow]:
    """Searches per category: the category filter the user chose, else the category of the best hit
    ('' for searches without either, e.g. most zero-result searches)."""
    key = func.coalesce(SearchLog.category, SearchLog.top_category, "")
    statement: Select[str, int, int | None, int | None, float | None] = Select(
        key, func.count(), _ZERO, _CLICKED, func.avg(SearchLog.result_count)
    )
    rows = session.exec(statement.where(*_in(period)).group_by(key).order_by(func.count().desc(), key)).all()
    return [QueryRow(k, int(n), int(z or 0), int(c or 0), float(a or 0)) for k, n, z, c, a in rows]


def search_report(session: Session, period: Period, limit: int = 20) -> Report:
    """Everything the analytics page shows for ``period``."""
    return Report(
        period,
        summary(session, period),
        top_queries(session, period, limit),
        zero_result_queries(session, period, limit),
        per_category(session, period),
    )
