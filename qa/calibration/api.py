"""Calibration in the API: create a session, rate as a grader, close it and read the results."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import actor_roles, role_required
from portal.db import get_session
from portal.models import Role, User
from qa.calibration import services as cs
from qa.calibration.schemas import MAX_INTERACTIONS, parse_calibration, parse_ratings
from qa.evaluations.feedback_api import RATING_SCHEMA
from qa.web import api_bp, signed_in


def _api_calibration(calibration_id: int):
    session = get_session()
    cal = cs.get_calibration(session, calibration_id)  # NotFound: 404 in the standard error body
    if not cs.may_view(session, cal, signed_in(), actor_roles()):
        raise ApiError(404, f"calibration {calibration_id} not found")
    return cal


@api_bp.post("/qa/calibrations")
@role_required(Role.QA)
def api_create_calibration():
    data = json_body(dict)
    inp = parse_calibration(
        data.get("name"),
        data.get("interaction_ids"),
        data.get("scorecard_version_id"),
        data.get("graders"),
        data.get("expert"),
    )
    cal = cs.create_calibration(get_session(), signed_in(), inp)
    return jsonify({"id": cal.id}), 201


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
def api_get_calibration(calibration_id: int):
    return jsonify(calibration_dict(_api_calibration(calibration_id), signed_in()))


@api_bp.post("/qa/calibrations/<int:calibration_id>/ratings")
@role_required(Role.QA, Role.LEAD)
def api_calibration_ratings(calibration_id: int):
    cal = _api_calibration(calibration_id)
    data = json_body(dict)
    inp = parse_ratings(data.get("interaction_id"), data.get("ratings"))
    rows = cs.submit_ratings(get_session(), signed_in(), cal, inp)
    return jsonify(
        {
            "interaction_id": data.get("interaction_id"),
            "ratings": [{"criterion_id": r.criterion_id, "value": r.value} for r in rows],
        }
    )


@api_bp.post("/qa/calibrations/<int:calibration_id>/close")
@role_required(Role.QA)
def api_close_calibration(calibration_id: int):
    cal = _api_calibration(calibration_id)
    body = cs.close_calibration(get_session(), signed_in(), cal, is_admin=Role.ADMIN.value in actor_roles())
    return jsonify(body)


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_RESULTS = openapi.schema(
    "CalibrationResults",
    {
        "type": "object",
        "required": ["alpha", "graders", "criteria"],
        "properties": {
            "alpha": {"type": "number", "nullable": True, "description": "Krippendorff's alpha, interval"},
            "expert": {"type": "string", "nullable": True},
            "threshold": {"type": "number"},
            "graders": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["grader", "deviation", "flagged"],
                    "properties": {
                        "grader": {"type": "string"},
                        "deviation": {"type": "number", "nullable": True},
                        "bias": {"type": "number", "nullable": True},
                        "n_units": {"type": "integer"},
                        "flagged": {"type": "boolean"},
                        "criteria": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "criterion_id": {"type": "integer"},
                                    "deviation": {"type": "number"},
                                    "bias": {"type": "number"},
                                },
                            },
                        },
                    },
                },
            },
            "criteria": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["criterion_id", "consensus"],
                    "properties": {
                        "criterion_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "consensus": {"type": "number", "nullable": True},
                    },
                },
            },
        },
    },
)
openapi.add(
    "/qa/calibrations",
    "post",
    {
        "summary": "Open a calibration session (at least two graders; the expert, if named, is the consensus)",
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["name", "interaction_ids", "scorecard_version_id", "graders"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "interaction_ids": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_INTERACTIONS,
                        "items": {"type": "integer"},
                    },
                    "scorecard_version_id": {"type": "integer"},
                    "graders": {"type": "array", "minItems": 2, "items": {"type": "string"}},
                    "expert": {"type": "string", "nullable": True},
                },
            }
        ),
        "responses": {
            "201": json_response_spec(
                "created",
                {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
            )
        },
    },
)
openapi.add(
    "/qa/calibrations/{id}",
    "get",
    {
        "summary": "A calibration session: progress and your own ratings; everyone's ratings once closed",
        "parameters": _ID,
        "responses": {"200": json_response_spec("the session", {"type": "object"})},
    },
)
openapi.add(
    "/qa/calibrations/{id}/ratings",
    "post",
    {
        "summary": "A grader rates every criterion of one interaction of the session (blind; again = replace)",
        "parameters": _ID,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["interaction_id", "ratings"],
                "properties": {
                    "interaction_id": {"type": "integer"},
                    "ratings": {"type": "array", "items": RATING_SCHEMA},
                },
            }
        ),
        "responses": {
            "200": json_response_spec(
                "saved",
                {
                    "type": "object",
                    "properties": {
                        "interaction_id": {"type": "integer"},
                        "ratings": {"type": "array", "items": RATING_SCHEMA},
                    },
                },
            ),
            "409": {"description": "the session is closed"},
        },
    },
)
openapi.add(
    "/qa/calibrations/{id}/close",
    "post",
    {
        "summary": "Close the session (its creator) and compute consensus, deviations and alpha",
        "parameters": _ID,
        "responses": {
            "200": json_response_spec("the results", _RESULTS),
            "409": {"description": "already closed, fewer than two graders rated, or the expert has not"},
        },
    },
)
