"""Domain errors of the knowledge base. Views map ``status`` to the HTTP status; messages are for users."""

from __future__ import annotations

from typing import Any


class ArticleError(Exception):
    """A request the knowledge base refuses; ``message`` says why, ``details`` helps a client fix it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: Any, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message  # may be a lazy translation string
        self.details = details or {}

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(ArticleError):
    """A field is missing, too long or unknown; ``details['fields']`` maps field → message."""

    status = 400
    code = "invalid_input"


class NotFound(ArticleError):
    status = 404
    code = "not_found"


class Forbidden(ArticleError):
    status = 403
    code = "forbidden"


class InvalidTransition(ArticleError):
    """The workflow does not allow this step from the article's current state."""

    status = 409
    code = "invalid_transition"


class StaleVersion(ArticleError):
    """The write carried an older version than the stored one; nothing was changed."""

    status = 409
    code = "stale_version"
