"""The qa blueprint, its template filters and helpers every qa page module uses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from sqlmodel import col, select

from portal.db import get_session
from portal.models import User, UserRole
from qa import evaluations as ev
from qa import scorecards
from qa.models import Evaluation, Scorecard, ScorecardVersion
from qa.scoring import format_score
from qa.web import qa_timezone

# Import name "qa", not this module: templates/ and static/ are found relative to the qa package.
bp = Blueprint(
    "qa",
    "qa",
    url_prefix="/qa",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.app_template_filter("qa_score")
def _qa_score(value):
    return format_score(value)


@bp.app_template_filter("qa_local")
def _qa_local(value, fmt="%Y-%m-%d %H:%M"):
    return value.astimezone(qa_timezone()).strftime(fmt) if value else "—"


def get_or_404(model, object_id: int):
    obj = get_session().get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def users_with_role(role: str) -> list[User]:
    session = get_session()
    return list(
        session.exec(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, col(User.is_active).is_(True))
            .order_by(User.username)
        ).unique()
    )


def evaluation_sheet(session, evaluation: Evaluation) -> dict[str, Any]:
    """What every page that shows an evaluation's ratings renders: its scorecard version and card, the
    sections and criteria, the ratings and the score explained (``result`` is None while incomplete)."""
    version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
    sections, criteria = scorecards.sections_and_criteria(session, version.id)
    return {
        "version": version,
        "card": session.get(Scorecard, version.scorecard_id),
        "sections": sections,
        "criteria": criteria,
        "ratings": ev.ratings_of(session, evaluation.id),
        "result": ev.explain(session, evaluation),
    }
