"""Registers the knowledge (KCS) dashboard for leads with the app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.extensions import NavItem, register_nav
from portal.models import Role


def init_app(app: Flask) -> None:
    """Plug the KCS dashboard into the app."""
    from qa.kcs import views

    app.register_blueprint(views.bp)
    register_nav(app, NavItem("kcs.dashboard", _l("Knowledge dashboard"), (Role.LEAD.value,), order=48))
