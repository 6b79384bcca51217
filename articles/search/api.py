"""``GET /api/v1/search`` (DESIGN §4)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from articles.search.links import article_url
from articles.search.runtime import get_search_engine
from portal.api import ApiError, int_arg, json_response_spec, openapi
from portal.auth import actor_roles, current_actor, role_required
from portal.db import get_session
from portal.models import Role
from search_index.service import can_include_unpublished, search_articles

api_bp = Blueprint("search_api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 100
MAX_OFFSET = 10_000


@api_bp.get("/search")
@role_required(Role.AGENT, Role.LEAD, Role.QA)
def search():
    actor = current_actor()
    roles = actor_roles(actor)
    limit = int_arg("limit", 10, minimum=1, maximum=MAX_LIMIT)
    offset = int_arg("offset", 0, minimum=0, maximum=MAX_OFFSET)
    include = request.args.get("include_unpublished", "false").lower()
    if include not in ("true", "false", "1", "0"):
        raise ApiError(
            400, "include_unpublished must be true or false", details={"field": "include_unpublished"}
        )
    include_unpublished = include in ("true", "1")
    if include_unpublished and not can_include_unpublished(roles):
        raise ApiError(403, "only leads may include unpublished articles")
    outcome = search_articles(
        get_session(),
        get_search_engine(),
        request.args.get("q", ""),
        actor_roles=roles,
        actor_id=actor.id,
        include_unpublished=include_unpublished,
        category=request.args.get("category"),
        tag=request.args.get("tag"),
        limit=limit,
        offset=offset,
        log_source="api",
    )
    return jsonify(
        {
            "query": outcome.query,
            "total": outcome.total,
            "results": [
                {
                    "id": hit.id,
                    "external_id": hit.external_id or None,
                    "title": hit.title,
                    "snippet": hit.snippet_html,
                    "score": hit.score,
                    "url": article_url(hit.id),
                    "category": hit.category or None,
                    "tags": list(hit.tags),
                    "status": hit.status,
                }
                for hit in outcome.hits
            ],
            "suggestion": outcome.suggestion,
        }
    )


_RESULT = {
    "type": "object",
    "required": ["id", "external_id", "title", "snippet", "score", "url", "category", "tags"],
    "properties": {
        "id": {"type": "integer"},
        "external_id": {"type": "string", "nullable": True},
        "title": {"type": "string"},
        "snippet": {"type": "string", "description": "HTML: the text is escaped, matches are in <mark>"},
        "score": {"type": "number"},
        "url": {"type": "string"},
        "category": {"type": "string", "nullable": True},
        "tags": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": ["published", "in_review", "draft"]},
    },
}


def _param(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


openapi.add(
    "/search",
    "get",
    {
        "summary": "Search the knowledge base",
        "description": "Agents and QA find published articles; leads may add include_unpublished=true "
        "(drafts and articles in review). Any query text is accepted (there is no query syntax); "
        "an empty query gives no results.",
        "parameters": [
            _param("q", {"type": "string"}, "free text, Chinese and/or English; cut to 200 characters"),
            _param(
                "limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10}, "page size"
            ),
            _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "skip"),
            _param("category", {"type": "string"}, "exact category path, e.g. 咨询 › 产品功能咨询"),
            _param("tag", {"type": "string"}, "exact tag"),
            _param("include_unpublished", {"type": "boolean", "default": False}, "leads only"),
        ],
        "responses": {
            "200": json_response_spec(
                "one page of results",
                openapi.schema(
                    "SearchResults",
                    {
                        "type": "object",
                        "required": ["query", "total", "results", "suggestion"],
                        "properties": {
                            "query": {"type": "string"},
                            "total": {"type": "integer", "minimum": 0},
                            "results": {"type": "array", "items": _RESULT},
                            "suggestion": {"type": "string", "nullable": True, "description": "did you mean"},
                        },
                    },
                ),
            )
        },
    },
)
