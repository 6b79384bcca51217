"""The qa JSON API (DESIGN §4), one module per resource; importing the package registers every route."""

from __future__ import annotations

from qa.api import evaluations, interactions, sampling, scorecards  # noqa: F401  (registers the routes)
from qa.api.common import api_bp

__all__ = ["api_bp"]
