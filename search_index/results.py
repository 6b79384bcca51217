"""What a search returns: hits, a page of results, and the lexical ranking before hits are made."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from search_index.lexical.query import AnalyzedQuery
from search_index.lexical.schema import STATUSES, external_id, norm_key
from search_index.lexical.snippets import clean_text, make_snippet, render

log = logging.getLogger(__name__)


#: Largest page a caller may ask for.
MAX_LIMIT = 200


def page_args(limit: Any, offset: Any, statuses: Any) -> tuple[int, int, tuple[str, ...] | None]:
    """Page size, offset and statuses as :meth:`search_index.lexical.index.SearchIndex.search` documents them; bad values never raise."""
    try:
        limit = max(0, min(int(limit), MAX_LIMIT))
        offset = max(0, int(offset))
    except (TypeError, ValueError):
        limit, offset = 10, 0
    if isinstance(statuses, str):
        statuses = (statuses,)
    elif statuses is not None:
        statuses = tuple(statuses)
    unknown = [s for s in statuses or () if norm_key(s) not in STATUSES]
    if unknown:
        log.debug("search with unknown statuses %r matches nothing for them", unknown)
    return limit, offset, statuses


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


def make_hit(stored: Mapping[str, Any], score: float, aq: AnalyzedQuery) -> SearchHit:
    """The hit of a document's stored fields for query ``aq``: highlighted title, and the snippet of the
    body field where the query's terms cover the most characters (the title when no body field matches)."""
    title = stored.get("title", "")
    words, bigrams = aq.words.keys(), aq.bigrams.keys()
    hl = aq.highlighter()
    title_spans = hl.spans(title)
    snippet = ""
    best = -1
    for name in ("scenario", "solution", "notes"):
        text = clean_text(stored.get(name) or "")
        if not text:
            continue
        spans = hl.spans(text)
        covered = sum(e - s for s, e in spans)  # matched characters: adjacent terms merge into one span
        if covered > best:
            best = covered
            snippet = make_snippet(text, words, bigrams, spans=spans)
    if not snippet:
        snippet = render(title, title_spans)
    return SearchHit(
        id=external_id(stored["id"]),
        external_id=stored.get("external_id", ""),
        title=title,
        score=round(score, 4),
        snippet_html=snippet,
        title_html=render(title, title_spans),
        category=stored.get("category", ""),
        tags=list(stored.get("tags") or []),
        status=stored.get("status", ""),
        audience=stored.get("audience", ""),
        updated_at=stored.get("updated_at"),
    )
