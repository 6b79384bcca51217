"""Domain errors of the knowledge base: ``portal.domain.DomainError`` subclasses, answered by its one
handler (the standard error body for the API, a page or a message for the web pages)."""

from __future__ import annotations

from portal.domain import DomainError


class ArticleError(DomainError):
    """A request the knowledge base refuses; ``message`` says why, ``details`` helps a client fix it."""

    status = 400
    code = "bad_request"


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
