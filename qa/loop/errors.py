"""The domain error of the quality loop: a clear message and the HTTP status that fits it."""

from __future__ import annotations

from typing import Any

from qa.scoring import RatingError


class LoopError(ValueError):
    """Raised by the loop's services; nothing was changed. ``status`` is 400, 403, 404 or 409."""

    def __init__(self, message: str, status: int = 400, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or {}


def not_found(what: str, object_id: Any) -> LoopError:
    return LoopError(f"{what} {object_id} not found", 404)


def rating_problems(exc: RatingError) -> LoopError:
    """The scorecard refused some ratings: one LoopError that lists every problem by criterion."""
    return LoopError(
        str(exc),
        details={"problems": [{"criterion_id": p.criterion_id, "message": p.message} for p in exc.problems]},
    )
