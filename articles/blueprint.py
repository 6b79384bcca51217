"""Registers the knowledge-base views, API and commands with the app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import articles.models  # noqa: F401 - the tables must be in the metadata before migrations and tests
from articles import admin_views, api, commands, seed, views
from portal.api import register_api_blueprint
from portal.extensions import NavItem, register_default_seeder, register_demo_seeder, register_nav
from portal.models import Role


def init_app(app: Flask) -> None:
    """Plug the articles package into the app (blueprints, API, CLI, navigation, seeders)."""
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    register_api_blueprint(app, api.api_bp)
    app.cli.add_command(commands.import_articles_command)
    app.cli.add_command(commands.export_articles_command)
    writers = (Role.AGENT.value, Role.LEAD.value)
    register_nav(app, NavItem("articles.index", _l("Knowledge base"), (), order=12))
    register_nav(app, NavItem("articles.new", _l("New article"), writers, order=13))
    register_nav(app, NavItem("articles.mine", _l("My articles"), writers, order=14))
    register_nav(app, NavItem("articles.queue", _l("Review queue"), (Role.LEAD.value,), order=15))
    register_nav(app, NavItem("articles.verification", _l("To re-verify"), (Role.LEAD.value,), order=16))
    register_nav(app, NavItem("articles_admin.index", _l("Categories"), (Role.ADMIN.value,), order=85))
    register_default_seeder(app, 10, seed.seed_categories)
    register_demo_seeder(app, 20, seed.seed_demo_articles)
