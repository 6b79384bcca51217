"""The one way to search articles, shared by the search page, the API, the CLI and the benchmark.

Flask-free: callers pass the session, the per-process :class:`SearchEngine` (or a bare
:class:`~search_index.lexical.index.SearchIndex`) and who is asking.  The web layer owns the commit.

:func:`search_articles` gets its page from :func:`search_index.ranking.pipeline.ranked_hits` (lexical, fused
with the semantic ranking when a model is loaded), so the page, the API, the CLI and the benchmark all
get the same ranking.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from search_index.engine import SearchEngine
from search_index.lexical.index import SearchIndex
from search_index.lexical.normalize import normalize_text
from search_index.models import LOG_FILTER_MAX, LOG_QUERY_MAX, SearchLog
from search_index.ranking.pipeline import ranked_hits
from search_index.results import SearchHit

log = logging.getLogger(__name__)

#: Statuses each audience may find.  Agents (and QA) see what is live; leads may widen to work in progress.
PUBLISHED_ONLY: tuple[str, ...] = ("published",)
WITH_UNPUBLISHED: tuple[str, ...] = ("published", "in_review", "draft")
#: Roles that may include unpublished articles (admins hold every right).
UNPUBLISHED_ROLES = frozenset({"lead", "admin"})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def can_include_unpublished(actor_roles: Collection[str]) -> bool:
    """Leads and admins may search drafts and articles in review; agents and QA only published ones."""
    return bool(set(actor_roles) & UNPUBLISHED_ROLES)


def clean_input(value: Any, limit: int) -> str:
    """Query text as the log and the filters may store it: a string without control characters (NUL
    breaks PostgreSQL text), at most ``limit`` characters, stripped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub(" ", text[: limit * 4])[:limit].strip()


def normalize_query(query: str) -> str:
    """The form analytics group queries by: normalised characters, single spaces."""
    return " ".join(normalize_text(query).split())[:LOG_QUERY_MAX]


# --- searching ------------------------------------------------------------------------------------


@dataclass
class SearchOutcome:
    """A page of results plus what the page needs around it."""

    query: str
    total: int = 0
    hits: list[SearchHit] = field(default_factory=list)
    suggestion: str | None = None
    offset: int = 0
    limit: int = 10
    statuses: tuple[str, ...] = PUBLISHED_ONLY
    #: The search log row written for this search (None when not logged).
    log_id: int | None = None

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def search_articles(
    session: Session,
    engine: SearchEngine | SearchIndex,
    query: Any,
    *,
    actor_roles: Iterable[str] = (),
    actor_id: int | None = None,
    include_unpublished: bool = False,
    category: str | None = None,
    tag: str | None = None,
    limit: int = 10,
    offset: int = 0,
    log_source: str | None = None,
) -> SearchOutcome:
    """Search the knowledge base as someone holding ``actor_roles``; never raises for any query text.

    Agents and QA find published articles only; leads and admins also drafts and articles in review
    when ``include_unpublished`` (silently ignored for others).  ``category`` and ``tag`` are exact
    filters.  With ``log_source`` ("page", "api") the first page of a non-empty query is written to the
    search log (``outcome.log_id``) for analytics and click tracking, through the engine's ``mask_logged``
    (personal data never reaches the log).  Only flushes.
    """
    roles = set(actor_roles)
    statuses = WITH_UNPUBLISHED if include_unpublished and can_include_unpublished(roles) else PUBLISHED_ONLY
    text = clean_input(query, 4 * LOG_QUERY_MAX)
    category = clean_input(category, LOG_FILTER_MAX) or None
    tag = clean_input(tag, LOG_FILTER_MAX) or None
    try:
        limit, offset = max(0, int(limit)), max(0, int(offset))
    except (TypeError, ValueError):
        limit, offset = 10, 0
    outcome = SearchOutcome(query=text, offset=offset, limit=limit, statuses=statuses)
    if not text:
        return outcome
    if isinstance(engine, SearchEngine):
        engine.prepare(session)
        results = ranked_hits(
            engine.index,
            text,
            synonyms=engine.synonyms,
            vectors=engine.vectors,
            fusion_model=engine.fusion_model,
            statuses=statuses,
            category=category,
            tag=tag,
            limit=limit,
            offset=offset,
            ranking=engine.ranking,
        )
    else:
        results = ranked_hits(
            engine,
            text,
            synonyms=None,
            vectors=None,
            fusion_model=None,
            statuses=statuses,
            category=category,
            tag=tag,
            limit=limit,
            offset=offset,
            ranking=engine.ranking,
        )
    outcome.total, outcome.hits, outcome.suggestion = results.total, list(results.hits), results.suggestion
    if log_source and offset == 0:
        mask = engine.mask_logged if isinstance(engine, SearchEngine) else None
        logged = mask(session, text) if mask is not None else text
        entry = SearchLog(
            query=logged[:LOG_QUERY_MAX],
            query_norm=normalize_query(logged) or logged[:LOG_QUERY_MAX],
            user_id=actor_id,
            source=log_source[:10],
            result_count=results.total,
            category=category,
            tag=tag,
            top_category=(results.hits[0].category or None) if results.hits else None,
        )
        session.add(entry)
        session.flush()
        outcome.log_id = entry.id
    return outcome


def record_click(session: Session, log_id: int, article_id: int, user_id: int | None) -> bool:
    """Remember the first result ``user_id`` opened from their search ``log_id``; False when the log entry
    is not theirs (nothing is changed then).  Only flushes."""
    entry = session.get(SearchLog, log_id)
    if entry is None or entry.user_id is None or entry.user_id != user_id:
        return False
    if entry.clicked_article_id is None:
        entry.clicked_article_id = article_id
        entry.clicked_at = datetime.now(UTC)
        session.add(entry)
        session.flush()
    return True
