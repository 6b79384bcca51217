"""Registers the knowledge (KCS) dashboard for leads with the app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the KCS dashboard into the app."""
