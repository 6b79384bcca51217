"""Knowledge-base pages, one module per area; importing the package registers every route on ``bp``."""

from __future__ import annotations

from articles.views import reading, usage, workflow, writing  # noqa: F401  (registers the routes)
from articles.views.common import bp

__all__ = ["bp"]
