"""Shared JSON API helpers: the error body every API answers with, reading a JSON body, and the blueprint
of the portal's own operations.

Each package has its own API blueprint under ``/api/v1`` and declares every operation with
``portal.contract.operation``; ``GET /api/v1/openapi.json`` serves the document generated from them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from portal.domain import ERROR_CODES, DomainError

API_PREFIX = "/api/v1"


class ApiError(DomainError):
    """Raise from an API view to answer with the standard error body (status first, as HTTP reads)."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message, status, code=code, details=details)


def error_response(status: int, message: str, *, code: str | None = None, details: Any = None):
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message,
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def http_exception_response(exc: HTTPException):
    status = exc.code or 500
    message = exc.description or exc.name
    response = error_response(status, message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
    retry_after = getattr(exc, "retry_after", None)
    if status == 429 and retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def json_body(expect: type = dict) -> Any:
    """The request's JSON body, which must be of type ``expect`` (dict or list); 400 otherwise."""
    if not request.is_json:
        raise ApiError(415, "send a JSON body with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "the body is nested too deeply") from None
    if data is None:
        raise ApiError(400, "the body is not valid JSON (UTF-8)")
    if not isinstance(data, expect):
        raise ApiError(400, f"the body must be a JSON {'object' if expect is dict else 'array'}")
    _check_text(data)
    return data


MAX_JSON_DEPTH = 32


def _check_text(value: Any, depth: int = 0) -> None:
    """Refuse what JSON allows but the database cannot store: lone surrogates ("\\ud800"), deep nesting."""
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "the body contains text that is not valid Unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


# The portal's own operation, the OpenAPI document, is declared on this blueprint by ``portal.contract``
# (imported by the app factory; it needs the helpers above, so it cannot be imported from here).
bp = Blueprint("api", __name__, url_prefix=API_PREFIX)


def register_api_blueprint(app, blueprint: Blueprint) -> None:
    """Register a package's API blueprint; it is exempt from CSRF because it accepts only Bearer tokens."""
    app.register_blueprint(blueprint)
    app.extensions["portal.api_blueprints"].append(blueprint)
