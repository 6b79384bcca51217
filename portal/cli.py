"""The ``portal`` console script: a Flask CLI group over ``create_app`` (its commands are a stable interface)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from portal.app import create_app


def main() -> None:
    """Console-script entry point; the app is built lazily so ``--help`` works without a database."""
    cli = FlaskGroup(create_app=lambda: create_app(), add_version_option=False)
    cli.help = "Knowledge base and quality-inspection portal."
    cli.main(prog_name="portal")
