"""What every qa API module shares: the blueprint, loading by id, and strict parsing of optional fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint

from portal.api import ApiError
from portal.db import get_session

api_bp = Blueprint("qa_api", __name__, url_prefix="/api/v1")

NULLABLE_STR = {"type": "string", "nullable": True}
ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def get_or_404(model, object_id: int, what: str):
    obj = get_session().get(model, object_id)
    if obj is None:
        raise ApiError(404, f"{what} {object_id} not found")
    return obj


def parse_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD)", details={"field": name})
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD)", details={"field": name}) from None


def str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"{name} must be a list of strings", details={"field": name})
    return value


def opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be a whole number or null", details={"field": name})
    return value
