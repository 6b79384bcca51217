"""Registers the knowledge-base views, API and commands with the app."""

from __future__ import annotations

from flask import Flask

import articles.models  # noqa: F401 - the tables must be in the metadata before migrations and tests


def init_app(app: Flask) -> None:
    """Plug the articles package into the app (blueprints, API, CLI, navigation, seeders)."""
