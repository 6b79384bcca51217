"""What every article API module shares: the blueprint, error mapping, body and version parsing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import force_locale

from articles.access import can_view
from articles.errors import ArticleError
from articles.models import Article
from portal.api import ApiError, error_response, json_body, json_response_spec
from portal.auth import current_actor
from portal.models import Role

api_bp = Blueprint("articles_api", __name__, url_prefix="/api/v1")

WRITERS = (Role.AGENT, Role.LEAD)


def api_error(exc: ArticleError) -> ApiError:
    with force_locale("en"):  # API clients get stable English messages
        message = str(exc.message)
        details = {
            k: (str(v) if not isinstance(v, dict | list | int | None) else v) for k, v in exc.details.items()
        }
        if "fields" in details and isinstance(details["fields"], dict):
            details["fields"] = {k: str(v) for k, v in details["fields"].items()}
    return ApiError(exc.status, message, code=exc.code, details=details)


@api_bp.errorhandler(ArticleError)
def _refused(exc: ArticleError):
    # The service verbs' domain errors reach clients in the standard error body, so routes need no try.
    error = api_error(exc)
    return error_response(error.status, error.message, code=error.code, details=error.details)


def optional_body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    return json_body()


def parse_version(body: dict[str, Any], *, required: bool) -> int | None:
    value = body.get("version")
    if value is None:
        if required:
            raise ApiError(
                400, "version is required (the version you read)", details={"fields": {"version": "required"}}
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, "version must be a positive integer", details={"fields": {"version": "invalid"}})
    return value


def load_visible(session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None or not can_view(session, current_actor(), article):
        raise ApiError(404, "This article does not exist.")
    return article


ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
CONFLICT = {
    "409": json_response_spec(
        "stale version or not allowed in this state", {"$ref": "#/components/schemas/Error"}
    )
}
