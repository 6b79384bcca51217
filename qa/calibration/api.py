"""Calibration in the API: create a session, rate as a grader, close it and read the results."""

from __future__ import annotations

from typing import Any

from portal.api import ApiError
from portal.auth import actor_roles, role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session, saved_id
from portal.models import Role, User
from qa.calibration import services as cs
from qa.calibration.schemas import (
    Calibration,
    CalibrationCreated,
    CalibrationIn,
    CalibrationRatingOut,
    CalibrationRatingsIn,
    CalibrationRatingsOut,
    CalibrationResults,
)
from qa.web import api_bp, signed_in


def _api_calibration(calibration_id: int):
    session = get_session()
    cal = cs.get_calibration(session, calibration_id)  # NotFound: 404 in the standard error body
    if not cs.may_view(session, cal, signed_in(), actor_roles()):
        raise ApiError(404, f"calibration {calibration_id} not found")
    return cal


CALIBRATION_PATH = id_path("calibration_id")


@api_bp.post("/qa/calibrations")
@role_required(Role.QA)
@operation(
    "Open a calibration session (at least two graders; the expert, if named, is the consensus)",
    body=CalibrationIn,
    responses={201: Answer("created", CalibrationCreated)},
)
def api_create_calibration(body: CalibrationIn):
    cal = cs.create_calibration(get_session(), signed_in(), body.to_input())
    return CalibrationCreated(id=saved_id(cal)), 201


def calibration_dict(cal, viewer: User) -> dict[str, Any]:
    session = get_session()
    view = cs.page(session, cal, viewer)
    names = {u.id: u.username for u in view.graders}
    body: dict[str, Any] = {
        "id": cal.id,
        "name": cal.name,
        "status": cal.status,
        "scorecard_version_id": cal.scorecard_version_id,
        "interaction_ids": [i.id for i in view.interactions],
        "graders": [u.username for u in view.graders],
        "progress": [
            {"grader": names[g], "rated": sorted(done)} for g, done in view.done.items() if g in names
        ],
        "my_ratings": [
            {
                "interaction_id": iid,
                "ratings": [{"criterion_id": cid, "value": r.value} for cid, r in sorted(by_c.items())],
            }
            for iid, by_c in sorted(view.mine.items())
        ],
        "results": view.results or None,
        "ratings": None,
    }
    if view.everyone is not None:
        body["ratings"] = [
            {"grader": names.get(g), "interaction_id": iid, "criterion_id": cid, "value": v}
            for g, by_i in sorted(view.everyone.items())
            for iid, by_c in sorted(by_i.items())
            for cid, v in sorted(by_c.items())
        ]
    return body


@api_bp.get("/qa/calibrations/<int:calibration_id>")
@role_required(Role.QA, Role.LEAD)
@operation(
    "A calibration session: progress and your own ratings; everyone's ratings once closed",
    path=CALIBRATION_PATH,
    responses={200: Answer("the session", Calibration)},
)
def api_get_calibration(calibration_id: int):
    return calibration_dict(_api_calibration(calibration_id), signed_in())


@api_bp.post("/qa/calibrations/<int:calibration_id>/ratings")
@role_required(Role.QA, Role.LEAD)
@operation(
    "A grader rates every criterion of one interaction of the session (blind; again = replace)",
    path=CALIBRATION_PATH,
    guard=_api_calibration,
    body=CalibrationRatingsIn,
    responses={200: Answer("saved", CalibrationRatingsOut), 409: Answer("the session is closed")},
)
def api_calibration_ratings(calibration_id: int, body: CalibrationRatingsIn):
    inp = body.to_input()
    cal = _api_calibration(calibration_id)
    rows = cs.submit_ratings(get_session(), signed_in(), cal, inp)
    return CalibrationRatingsOut(
        interaction_id=body.interaction_id,
        ratings=[CalibrationRatingOut(criterion_id=r.criterion_id, value=r.value) for r in rows],
    )


@api_bp.post("/qa/calibrations/<int:calibration_id>/close")
@role_required(Role.QA)
@operation(
    "Close the session (its creator) and compute consensus, deviations and alpha",
    path=CALIBRATION_PATH,
    responses={
        200: Answer("the results", CalibrationResults),
        409: Answer("already closed, fewer than two graders rated, or the expert has not"),
    },
)
def api_close_calibration(calibration_id: int):
    cal = _api_calibration(calibration_id)
    return cs.close_calibration(get_session(), signed_in(), cal, is_admin=Role.ADMIN.value in actor_roles())
