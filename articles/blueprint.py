"""Registers the knowledge-base views, API and commands with the app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the articles package into the app (blueprints, API, CLI, navigation, seeders)."""
