"""What every qa room's pages and API share: the two blueprints the rooms add their routes to, template
filters, request-level configuration (time zone, ticket pattern) and loading by id.

One page blueprint for every room (endpoint ``qa.*``) keeps one template folder, ``qa/templates/qa/``,
with a sub-folder per room: Flask searches every blueprint's template folder in one flat namespace, so
per-room blueprints would buy nothing but longer endpoint names. Routes carry their full path because the
rooms' URLs do not share one prefix (``/qa/...``, ``/tickets/...``).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app
from sqlmodel import col, select

from portal.api import ApiError
from portal.auth import current_actor
from portal.db import get_session
from portal.models import User, UserRole
from qa.scorecards.scoring import format_score

# Import name "qa", not this module: templates/ and static/ are found relative to the qa package.
bp = Blueprint("qa", "qa", template_folder="templates", static_folder="static", static_url_path="/qa/static")
api_bp = Blueprint("qa_api", __name__, url_prefix="/api/v1")

T = TypeVar("T")

DEFAULT_TIMEZONE = "Asia/Shanghai"


def qa_timezone() -> tzinfo:
    """The centre's time zone: naive import times and plan dates are read in it (``QA_TIMEZONE``)."""
    return ZoneInfo(current_app.config.get("QA_TIMEZONE") or DEFAULT_TIMEZONE)


def ticket_pattern() -> str:
    return current_app.config["TICKET_ID_PATTERN"]


def local_today() -> date:
    from portal.timeutil import utcnow

    return utcnow().astimezone(qa_timezone()).date()


@bp.app_template_filter("qa_score")
def _qa_score(value: float | None) -> str:
    return format_score(value)


@bp.app_template_filter("qa_local")
def _qa_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(qa_timezone()).strftime(fmt) if value else "—"


def signed_in() -> User:
    """The user of a request that passed ``login_required`` / ``role_required`` (never None there)."""
    user = current_actor()
    if user is None:
        abort(401)
    return user


def get_or_404(model: type[T], object_id: int) -> T:
    """For pages: the row, or the 404 page."""
    obj = get_session().get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def api_get_or_404(model: type[T], object_id: int, what: str) -> T:
    """For the API: the row, or a 404 in the standard error body that names what was missing."""
    obj = get_session().get(model, object_id)
    if obj is None:
        raise ApiError(404, f"{what} {object_id} not found")
    return obj


def users_with_role(role: str) -> list[User]:
    session = get_session()
    return list(
        session.exec(
            select(User)
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .where(col(UserRole.role) == role, col(User.is_active).is_(True))
            .order_by(col(User.username))
        ).unique()
    )
