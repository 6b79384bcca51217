"""The qa pages, one module per area; importing the package registers every route on ``bp``."""

from __future__ import annotations

from qa.views import evaluations, interactions, masking, plans, scorecards  # noqa: F401  (registers the routes)
from qa.views.common import bp

__all__ = ["bp"]
