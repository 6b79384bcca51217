"""Registers the quality loop (agent feedback, disputes, calibration, reports, ticket page) with the app."""

from __future__ import annotations

from flask import Flask

import qa.loop.models  # noqa: F401  (the tables must be known to the metadata and migrations)


def init_app(app: Flask) -> None:
    """Plug the quality loop into the app."""
