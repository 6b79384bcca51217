"""The one base class of the errors a service verb raises when it refuses a request.

A service knows why it refuses (``message``), how an HTTP client should read the refusal (``status`` and
``code``) and what helps the client fix it (``details``), but it never knows whether the request came from
a page or the API. One handler in ``portal.errors`` answers both: the API with the standard JSON error body,
a page with an error page or a flash message. Nothing has been changed when a service raises one.

This module imports nothing from Flask so that pure modules (scoring, parsing) may raise these errors too.
"""

from __future__ import annotations

from typing import Any

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
}


class DomainError(ValueError):
    """A refused request. Subclasses set a default ``status`` (and ``code``); an instance may override both.

    It derives from ``ValueError`` because the refusals it replaces did, and callers that still catch
    ``ValueError`` keep working.
    """

    status: int = 400
    code: str | None = None

    def __init__(
        self,
        message: Any,
        status: int | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message  # may be a lazy translation string; ``str()`` it when answering
        if status is not None:
            self.status = status
        self.code = code or self.code or ERROR_CODES.get(self.status, "error")
        self.details: dict[str, Any] = details if details is not None else {}

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    status = 404


def not_found(what: str, object_id: object) -> NotFound:
    """The message every "no such object" refusal uses, e.g. ``evaluation 7 not found``."""
    return NotFound(f"{what} {object_id} not found")
