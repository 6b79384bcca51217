"""``GET /api/v1/search``: one page of results for a query, typed by ``schemas``."""

from __future__ import annotations

from flask import Blueprint

from articles.search.links import article_url
from articles.search.runtime import get_search_engine
from articles.search.schemas import SearchHit, SearchParams, SearchResults
from portal.api import ApiError
from portal.auth import actor_roles, current_actor, role_required
from portal.contract import Answer, operation
from portal.db import get_session
from portal.models import Role
from search_index import can_include_unpublished, search_articles

api_bp = Blueprint("search_api", __name__, url_prefix="/api/v1")


@api_bp.get("/search")
@role_required(Role.AGENT, Role.LEAD, Role.QA)
@operation(
    "Search the knowledge base",
    description="Agents and QA find published articles; leads may add include_unpublished=true "
    "(drafts and articles in review). Any query text is accepted (there is no query syntax); "
    "an empty query gives no results.",
    query=SearchParams,
    responses={200: Answer("one page of results", SearchResults)},
)
def search(query: SearchParams) -> SearchResults:
    actor = current_actor()
    if actor is None:  # the role guard has answered 401 already
        raise ApiError(401, "send a valid Bearer token")
    roles = actor_roles(actor)
    if query.include_unpublished and not can_include_unpublished(roles):
        raise ApiError(403, "only leads may include unpublished articles")
    outcome = search_articles(
        get_session(),
        get_search_engine(),
        query.q,
        actor_roles=roles,
        actor_id=actor.id,
        include_unpublished=query.include_unpublished,
        category=query.category,
        tag=query.tag,
        limit=query.limit,
        offset=query.offset,
        log_source="api",
    )
    return SearchResults(
        query=outcome.query,
        total=outcome.total,
        results=[
            SearchHit(
                id=int(hit.id),
                external_id=hit.external_id or None,
                title=hit.title,
                snippet=hit.snippet_html,
                score=hit.score,
                url=article_url(hit.id),
                category=hit.category or None,
                tags=list(hit.tags),
                status=hit.status,
            )
            for hit in outcome.hits
        ],
        suggestion=outcome.suggestion,
    )
