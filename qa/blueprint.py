"""Registers the quality-inspection views, API and commands with the app."""

from __future__ import annotations

from flask import Flask

import qa.models  # noqa: F401  (the tables must be known to the metadata and migrations)


def init_app(app: Flask) -> None:
    """Plug the qa package into the app (blueprints, API, CLI, navigation, seeders)."""
