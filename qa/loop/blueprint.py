"""Registers the quality loop (agent feedback, disputes, calibration, reports, ticket page) with the app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the quality loop into the app."""
