"""The application factory (``create_app(overrides)``, a stable interface for scripts and tests)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

import articles.blueprint
import articles.search.blueprint
import qa.blueprint
import qa.kcs.blueprint
from portal import (
    admin_views,
    api,
    auth,
    contract,  # noqa: F401  (declares the route of the OpenAPI document on api.bp)
    db,
    errors,
    i18n,
    notifications,
    security,
    views,
)
from portal.commands import register_commands
from portal.config import load_config
from portal.extensions import NavItem, register_nav
from portal.models import Role

csrf = CSRFProtect()

# Database IDs are 32-bit on PostgreSQL (64-bit on SQLite): a larger number in a URL is a 404, not an
# overflow deep inside the driver (a 500).
MAX_URL_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_URL_INT:
            raise NotFound()  # the same answer as for any other ID that does not exist
        return number


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal. ``overrides`` may set DATABASE_URL, INDEX_DIR, INSTANCE_DIR, SECRET_KEY, TESTING
    (and any other config key, for tests)."""
    config = load_config(overrides)
    app = Flask(__name__, instance_path=config["INSTANCE_DIR"], instance_relative_config=False)
    app.config.update(config)
    app.url_map.converters["int"] = BoundedIntConverter
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with Bearer tokens only, never cookies
    app.extensions["portal.api_blueprints"] = [api.bp]

    articles.blueprint.init_app(app)
    articles.search.blueprint.init_app(app)
    qa.blueprint.init_app(app)
    qa.kcs.blueprint.init_app(app)
    for bp in app.extensions["portal.api_blueprints"]:
        csrf.exempt(bp)

    register_nav(app, NavItem("admin.users", _l("Users"), (Role.ADMIN.value,), order=90))
    register_nav(app, NavItem("admin.audit_log", _l("Audit log"), (Role.ADMIN.value,), order=91))
    register_commands(app)
    _template_globals(app)
    notifications.init_app(app)
    return app


def _template_globals(app: Flask) -> None:
    def nav_items():
        return [
            item
            for item in app.extensions.get("portal.nav", [])
            if not item.roles or auth.has_role(*item.roles)
        ]

    app.jinja_env.globals["nav_items"] = nav_items
