"""Registers the search page, search API, analytics and index commands with the app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import search_index.models  # noqa: F401 - the tables must be in the metadata before migrations and tests
from articles.search import runtime
from articles.search.api import api_bp
from articles.search.commands import check_index_command, reindex_command, search_command
from articles.search.similar import bp as similar_bp
from articles.search.similar import semantic_panel
from articles.search.views import bp
from portal.api import register_api_blueprint
from portal.extensions import NavItem, register_nav
from portal.models import Role


def init_app(app: Flask) -> None:
    """Plug search into the app (views, API, CLI, index sync at start-up)."""
    app.register_blueprint(bp)
    app.register_blueprint(similar_bp)
    # articles/_similar.html (included by the article page, the form and the review page) calls this.
    app.jinja_env.globals["semantic_panel"] = semantic_panel
    register_api_blueprint(app, api_bp)
    register_nav(
        app, NavItem("search.search", _l("Search"), (Role.AGENT.value, Role.LEAD.value, Role.QA.value), 10)
    )
    register_nav(app, NavItem("search.analytics", _l("Search analytics"), (Role.LEAD.value,), 60))
    register_nav(app, NavItem("search.synonyms", _l("Synonyms"), (Role.ADMIN.value,), 92))
    for command in (reindex_command, check_index_command, search_command):
        app.cli.add_command(command)
    runtime.start(app)
