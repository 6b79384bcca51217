"""Error pages and JSON errors: every failure gets a clear message and the right status, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from portal.api import error_response, http_exception_response
from portal.auth import is_api_request
from portal.domain import DomainError

log = logging.getLogger(__name__)


def _html_message(status: int, fallback: str) -> str:
    messages = {
        400: _("The request could not be understood. Check what you entered and try again."),
        401: _("Please log in."),
        403: _("You do not have the right to do this."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        409: _("Someone else changed this in the meantime."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. The change was not saved."),
    }
    return messages.get(status, fallback)


def _plain(value: Any) -> Any:
    """``details`` as JSON: lazily translated messages (a service's field errors) become text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _back_to_referrer() -> str:
    """Where a refused form goes back to: the page it was sent from when that is on this site, else the
    home page (the form's own URL may answer POST only)."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if referrer and parts.netloc == request.host and parts.scheme in ("http", "https"):
        return referrer
    return "/"


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        # One answer for every service refusal: the API gets the standard error body; a page gets the
        # error page (a reading request, or a 403/404 that must not say more than "no") or, after a
        # form was sent, the message as a flash on the page it came from.
        if is_api_request():
            with force_locale("en"):  # API clients get stable English messages, whatever the user's language
                return error_response(exc.status, str(exc), code=exc.code, details=_plain(exc.details))
        if request.method in ("GET", "HEAD") or exc.status in (403, 404):
            message = _html_message(exc.status, "") if exc.status in (403, 404) else str(exc)
            return render_template("errors/error.html", status=exc.status, message=message), exc.status
        flash(str(exc), "error")
        return redirect(_back_to_referrer())

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if is_api_request():
            return error_response(400, "CSRF token missing or invalid")
        message = _("The form has expired or was not sent from this site. Reload the page and try again.")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(DataError)
    def _data_error(exc: DataError):
        # The database refused a value the view did not bound (e.g. an ID beyond PostgreSQL's integer range):
        # the request rolls back, so this is the client's bad input, not a server fault.
        log.info("database refused a value: %s", exc.orig)
        if is_api_request():
            return error_response(400, "a value is out of the allowed range")
        message = _("A value you entered is out of the allowed range.")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError):
        # A uniqueness (or reference) conflict the services did not foresee, typically two requests racing
        # to create the same thing: the request rolls back and the loser hears "conflict", never a 500.
        log.warning("database refused a write as conflicting: %s", exc.orig)
        if is_api_request():
            return error_response(409, "this conflicts with data saved at the same moment; reload and retry")
        return render_template("errors/error.html", status=409, message=_html_message(409, "")), 409

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if is_api_request():
            return http_exception_response(exc)
        status = exc.code or 500
        response = render_template(
            "errors/error.html", status=status, message=_html_message(status, exc.description or "")
        )
        headers = {}
        retry_after = getattr(exc, "retry_after", None)  # set by werkzeug's TooManyRequests
        if status == 429 and retry_after:
            headers["Retry-After"] = str(retry_after)
        return response, status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        if is_api_request():
            return error_response(500, "internal error; nothing was saved")
        return render_template("errors/error.html", status=500, message=_html_message(500, "")), 500
