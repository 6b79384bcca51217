"""Registers the quality-inspection rooms with the app: their pages and API (importing a room's ``views`` and
``api`` modules adds their routes to the shared blueprints of ``qa.web``), the CLI, navigation and seeders."""

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
    from qa import commands, seed, web
    from qa.calibration import api as _calibration_api  # noqa: F401  (each of these adds its routes)
    from qa.calibration import views as _calibration_views  # noqa: F401
    from qa.evaluations import api as _evaluations_api  # noqa: F401
    from qa.evaluations import feedback_api as _feedback_api  # noqa: F401
    from qa.evaluations import feedback_views as _feedback_views  # noqa: F401
    from qa.evaluations import views as _evaluations_views  # noqa: F401
    from qa.interactions import api as _interactions_api  # noqa: F401
    from qa.interactions import masking_views as _masking_views  # noqa: F401
    from qa.interactions import views as _interactions_views  # noqa: F401
    from qa.reports import api as _reports_api  # noqa: F401
    from qa.reports import views as _reports_views  # noqa: F401
    from qa.sampling import api as _sampling_api  # noqa: F401
    from qa.sampling import views as _sampling_views  # noqa: F401
    from qa.scorecards import api as _scorecards_api  # noqa: F401
    from qa.scorecards import views as _scorecards_views  # noqa: F401
    from qa.tickets import api as _tickets_api  # noqa: F401
    from qa.tickets import views as _tickets_views  # noqa: F401

    app.register_blueprint(web.bp)
    app.jinja_env.globals.update(channel_name=channel_name, evaluation_status_name=evaluation_status_name)
    app.jinja_env.filters["channel_name"] = channel_name
    register_api_blueprint(app, web.api_bp)
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
    register_nav(app, NavItem("qa.my_evaluations", _l("My QA"), (Role.AGENT.value,), order=44))
    register_nav(app, NavItem("qa.disputes", _l("Disputes"), (Role.LEAD.value,), order=45))
    register_nav(app, NavItem("qa.calibrations", _l("Calibration"), (Role.QA.value,), order=46))
    register_nav(
        app, NavItem("qa.reports_page", _l("QA reports"), (Role.LEAD.value, Role.QA.value), order=47)
    )
    register_nav(app, NavItem("qa.bulletin", _l("Quality bulletin"), (Role.LEAD.value,), order=49))
    register_default_seeder(app, 40, seed.seed_default)
    register_demo_seeder(app, 40, seed.seed_demo)
