"""What every article API module shares: the blueprint, error mapping and loading a visible article."""

from __future__ import annotations

from flask import Blueprint

from articles.access import can_view
from articles.models import Article
from portal.api import ApiError
from portal.auth import current_actor
from portal.contract import Answer
from portal.models import Role, User

api_bp = Blueprint("articles_api", __name__, url_prefix="/api/v1")

WRITERS = (Role.AGENT, Role.LEAD)


def signed_in() -> User:
    """The caller of a guarded API view (the guard has answered 401 to anyone else)."""
    actor = current_actor()
    if actor is None:
        raise ApiError(401, "send a valid Bearer token")
    return actor


def load_visible(session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None or not can_view(session, current_actor(), article):
        raise ApiError(404, "This article does not exist.")
    return article


# Refused input keeps the code the service verbs use for it, so clients see one code for both.
INVALID = "invalid_input"
CONFLICT = {409: Answer("stale version or not allowed in this state")}
