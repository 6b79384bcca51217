"""'Similar articles' on the article page and 'possible duplicates' on the article form and the review page.

Both come from this worker's vector matrix and the model's cosine thresholds
(:meth:`search_index.SearchEngine.similar_articles` and ``possible_duplicates``).  Computed server-side while the page renders, through the
template global ``semantic_panel``; ``GET /search/duplicates`` serves the same list as JSON for the form's
as-you-type check.  With semantic search off or failed, the panel is simply empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, request
from jinja2 import Undefined
from sqlmodel import Session

from articles.access import can_view
from articles.models import Article
from articles.search.runtime import get_search_engine
from portal.auth import current_actor, role_required
from portal.db import get_session
from portal.models import Role, User

log = logging.getLogger(__name__)

bp = Blueprint("search_similar", __name__)

#: How many similar articles or possible duplicates a panel shows.
SHOW = 5
#: Statuses a possible duplicate may have (an author should see work in review too).
DUPLICATE_STATUSES = ("published", "in_review")
MAX_TEXT = 400


@dataclass
class Panel:
    kind: str  # "similar" | "duplicates" | ""
    items: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = False


def _described(
    engine,
    hits: list[tuple[Any, float]],
    statuses: tuple[str, ...],
    may_open: Callable[[Any, str], bool] | None = None,
) -> list[dict[str, Any]]:
    """The first :data:`SHOW` hits that pass the index filters (and ``may_open(id, status)``), with titles."""
    visible = engine.index.visible([i for i, _ in hits], statuses=statuses)
    out = []
    for item_id, score in hits:
        if item_id not in visible:
            continue
        stored = visible.stored(item_id)
        if may_open is not None and not may_open(item_id, stored.get("status", "")):
            continue
        out.append(
            {
                "id": item_id,
                "title": stored.get("title", ""),
                "status": stored.get("status", ""),
                "score": score,
            }
        )
        if len(out) >= SHOW:
            break
    return out


def similar_articles(article_id: int) -> list[dict[str, Any]]:
    """Published articles (not itself) with cosine >= the model's 'similar' threshold, best first."""
    engine = get_search_engine()
    if not engine.semantic_enabled:
        return []
    return _described(engine, engine.similar_articles(int(article_id), 4 * SHOW), ("published",))


def _opens_for(session: Session, actor: User | None) -> Callable[[Any, str], bool]:
    """Whether ``actor`` may open a listed article: published ones always, unpublished work only as on the
    article page (its authors and leads, :func:`articles.access.can_view`), so a title in review is never
    shown to a colleague who could not open it."""

    def may_open(item_id: Any, status: str) -> bool:
        if status == "published":
            return True
        article = session.get(Article, item_id) if isinstance(item_id, int) else None
        return article is not None and can_view(session, actor, article)

    return may_open


def possible_duplicates(
    title: str, scenario: str = "", exclude: int | None = None, *, viewer: User | None = None
) -> list[dict[str, Any]]:
    """Articles whose vector is within the 'duplicate' threshold of a draft's title (and scenario) that
    ``viewer`` may open (published ones, and work in review that is theirs or, for a lead, anyone's)."""
    engine = get_search_engine()
    if not engine.semantic_enabled:
        return []
    doc = {"title": (title or "")[:MAX_TEXT], "scenario": (scenario or "")[:MAX_TEXT]}
    hits = engine.possible_duplicates(doc, 4 * SHOW, exclude=[exclude] if exclude else ())
    return _described(engine, hits, DUPLICATE_STATUSES, _opens_for(get_session(), viewer))


def semantic_panel(article: Any = None, title: str | None = None, form: Any = None, rev: Any = None) -> Panel:
    """What ``articles/_similar.html`` shows on the current page; never raises."""
    # Names a page does not define arrive as jinja2 Undefined.
    article, title, form, rev = (None if isinstance(v, Undefined) else v for v in (article, title, form, rev))
    endpoint = request.endpoint or ""
    engine = get_search_engine()
    enabled = engine.vectors is not None and engine.vectors.enabled
    try:
        if endpoint == "articles.view" and article is not None:
            return Panel("similar", similar_articles(article.id) if enabled else [], enabled)
        if endpoint in ("articles.new", "articles.edit", "articles.review"):
            source = rev if rev is not None else form
            text_title = title or ""
            scenario = ""
            if rev is not None:
                text_title, scenario = rev.title or text_title, rev.scenario or ""
            elif source is not None and getattr(source, "scenario", None) is not None:
                scenario = source.scenario.data or ""
            exclude = article.id if article else None
            items = (
                possible_duplicates(text_title, scenario, exclude, viewer=current_actor()) if enabled else []
            )
            return Panel("duplicates", items, enabled)
    except Exception:
        log.exception("semantic panel failed; the page is shown without it")
    return Panel("", [], enabled)


@bp.get("/search/duplicates")
@role_required(Role.AGENT, Role.LEAD)
def duplicates():
    """Possible duplicates of a draft while its author types (JSON)."""
    exclude = request.args.get("exclude", "")
    items = possible_duplicates(
        request.args.get("title", "")[:MAX_TEXT],
        request.args.get("scenario", "")[:MAX_TEXT],
        int(exclude) if exclude.isdigit() else None,
        viewer=current_actor(),
    )
    return jsonify(
        {"duplicates": [{"id": i["id"], "title": i["title"], "score": round(i["score"], 3)} for i in items]}
    )
