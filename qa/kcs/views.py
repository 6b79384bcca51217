"""The knowledge (KCS) dashboard page for leads."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal.auth import role_required
from portal.db import get_session
from portal.models import Role
from qa.kcs import metrics
from qa.labels import usernames

bp = Blueprint("kcs", __name__, template_folder="templates")


@bp.get("/kcs")
@role_required(Role.LEAD)
def dashboard():
    days = request.args.get("days", 30, type=int)
    if days not in metrics.PERIODS:
        days = 30
    session = get_session()
    board = metrics.dashboard(session, days)
    people = usernames(session, {e.grader_id for e in board.gaps} | {e.agent_id for e in board.gaps})
    return render_template("kcs/dashboard.html", board=board, periods=metrics.PERIODS, people=people)
