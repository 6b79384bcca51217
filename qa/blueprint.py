"""Registers the quality-inspection views, API and commands with the app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import qa.models  # noqa: F401  (the tables must be known to the metadata and migrations)
from portal.api import register_api_blueprint
from portal.extensions import NavItem, register_default_seeder, register_demo_seeder, register_nav
from portal.models import Role
from qa.labels import channel_name, evaluation_status_name


def init_app(app: Flask) -> None:
    """Plug the qa package into the app (blueprints, API, CLI, navigation, seeders)."""
    from qa import api, commands, seed, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(channel_name=channel_name, evaluation_status_name=evaluation_status_name)
    app.jinja_env.filters["channel_name"] = channel_name
    register_api_blueprint(app, api.api_bp)
    app.cli.add_command(commands.import_interactions_command)
    qa_roles = (Role.QA.value, Role.ADMIN.value)
    register_nav(
        app,
        NavItem(
            "qa.interactions",
            _l("Conversations"),
            (Role.QA.value, Role.LEAD.value, Role.ADMIN.value),
            order=40,
        ),
    )
    register_nav(app, NavItem("qa.plan_list", _l("Sampling plans"), qa_roles, order=41))
    register_nav(app, NavItem("qa.queue", _l("My QA queue"), qa_roles, order=42))
    register_nav(app, NavItem("qa.scorecard_list", _l("Scorecards"), qa_roles, order=43))
    register_nav(app, NavItem("qa.masking", _l("Masking rules"), (Role.ADMIN.value,), order=92))
    register_default_seeder(app, 40, seed.seed_default)
    register_demo_seeder(app, 40, seed.seed_demo)
