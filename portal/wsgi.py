"""WSGI entry point for gunicorn (``portal serve``)."""

from articles.search.runtime import warm_up_in_background
from portal.app import create_app

app = create_app()
# A server worker reads its search index now rather than in its first search (seconds at 69,000 articles).
warm_up_in_background(app)
