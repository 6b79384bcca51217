"""JSON API for articles (a stable interface other tools rely on), under /api/v1 with Bearer tokens only; importing the package
registers every route on ``api_bp``."""

from __future__ import annotations

from articles.api import articles, usage  # noqa: F401  (registers the routes)
from articles.api.common import api_bp

__all__ = ["api_bp"]
