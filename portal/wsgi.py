"""WSGI entry point for gunicorn (``portal serve``)."""

from portal.app import create_app

app = create_app()
