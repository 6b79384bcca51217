"""Registers the quality loop (agent feedback, disputes, calibration, reports, ticket page) with the app."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

import qa.loop.models  # noqa: F401  (the tables must be known to the metadata and migrations)
from portal.api import register_api_blueprint
from portal.extensions import NavItem, register_nav
from portal.models import Role


def init_app(app: Flask) -> None:
    """Plug the quality loop into the app: pages, API and navigation."""
    from qa.loop import api, calibration_api, calibration_views, report_views, views  # noqa: F401  (they add routes)

    app.register_blueprint(views.bp)
    register_api_blueprint(app, api.api_bp)
    register_nav(app, NavItem("loop.my_evaluations", _l("My QA"), (Role.AGENT.value,), order=44))
    register_nav(app, NavItem("loop.disputes", _l("Disputes"), (Role.LEAD.value,), order=45))
    register_nav(app, NavItem("loop.calibrations", _l("Calibration"), (Role.QA.value,), order=46))
    register_nav(
        app, NavItem("loop.reports_page", _l("QA reports"), (Role.LEAD.value, Role.QA.value), order=47)
    )
    register_nav(app, NavItem("loop.bulletin", _l("Quality bulletin"), (Role.LEAD.value,), order=49))
