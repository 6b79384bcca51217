"""What a search returns: hits, a page of results, and the lexical ranking before hits are made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .query import AnalyzedQuery


@dataclass
class SearchHit:
    """One result. ``snippet_html`` and ``title_html`` are safe HTML (escaped, with ``<mark>``)."""

    id: int | str
    external_id: str
    title: str
    score: float
    snippet_html: str
    title_html: str
    category: str
    tags: list[str]
    status: str
    audience: str
    updated_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (``updated_at`` as ISO text)."""
        d = asdict(self)
        d["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return d


@dataclass
class SearchResults:
    """A page of results: ``total`` counts every match that passed the filters, not just this page."""

    query: str
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    suggestion: str | None = None
    offset: int = 0
    limit: int = 10
    #: The index terms the query was searched with (after synonyms), for the search log and debugging.
    terms: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


@dataclass
class LexicalRanking:
    """The lexical ranking of one query before hits are made (see :meth:`SearchIndex.rank`)."""

    aq: AnalyzedQuery
    terms: list[str]
    #: ``(article id, document number, score)``, best first.
    docs: list[tuple[int | str, int, float]] = field(default_factory=list)
    total: int = 0
    suggestion: str | None = None
    #: The index generation the document numbers belong to (None when nothing was searched).
    snap: Any = None

    @property
    def query(self) -> str:
        """The query as searched (normalised, rewritten by synonyms, cut)."""
        return self.aq.text
