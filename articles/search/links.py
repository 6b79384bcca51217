"""URLs of knowledge-base pages the search layer links to (the articles views own the endpoints)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app, url_for

_ARTICLE_ENDPOINTS = (
    ("articles.view", "article_id"),
    ("articles.detail", "article_id"),
    ("articles.show", "article_id"),
)


def article_url(article_id: int | str) -> str:
    """The page of one article."""
    for endpoint, arg in _ARTICLE_ENDPOINTS:
        if endpoint in current_app.view_functions:
            values: dict[str, Any] = {arg: article_id}
            return url_for(endpoint, **values)
    return f"/articles/{quote(str(article_id))}"


def new_article_url(title: str) -> str:
    """'Write an article' with the title pre-filled (from a knowledge gap)."""
    if "articles.new" in current_app.view_functions:
        return url_for("articles.new", title=title)
    return f"/articles/new?title={quote(title)}"
