"""Scorecards in the API: create one (version 1) and read its latest version as a tree."""

from __future__ import annotations

from flask import jsonify

from portal.api import json_body, json_request_spec, json_response_spec, openapi
from portal.auth import role_required
from portal.db import get_session
from portal.models import Role
from qa.scorecards import input as scorecard_input
from qa.scorecards import services as scorecards
from qa.scorecards.models import Scorecard
from qa.web import ID_PARAM, api_bp, api_get_or_404, signed_in


@api_bp.post("/qa/scorecards")
@role_required(Role.QA)
def create_scorecard():
    data = json_body(dict)
    inp = scorecard_input.parse_payload(data)  # ScorecardInputError: 400 with the problems
    card, version = scorecards.create_scorecard(get_session(), signed_in(), inp)
    return jsonify(scorecards.version_tree(get_session(), card, version)), 201


@api_bp.get("/qa/scorecards/<int:scorecard_id>")
@role_required(Role.QA, Role.LEAD)
def get_scorecard(scorecard_id: int):
    session = get_session()
    card = api_get_or_404(Scorecard, scorecard_id, "scorecard")
    return jsonify(scorecards.version_tree(session, card, scorecards.current_version(session, card)))


_CRITERION = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "scale": {"type": "string", "enum": ["binary", "3", "5"], "default": "binary"},
        "points": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "default": 1},
        "allow_na": {"type": "boolean", "default": False},
        "critical": {"type": "boolean", "default": False},
        "guidance": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "scale value → what the level means",
        },
    },
}
_SCORECARD_IN = openapi.schema(
    "ScorecardIn",
    {
        "type": "object",
        "required": ["name", "sections"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string"},
            "mode": {
                "type": "string",
                "enum": ["points", "weighted_sections"],
                "default": "weighted_sections",
            },
            "sections": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "criteria"],
                    "properties": {
                        "id": {"type": "integer", "readOnly": True},
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "weight": {"type": "number", "minimum": 0, "default": 1},
                        "criteria": {"type": "array", "minItems": 1, "items": _CRITERION},
                    },
                },
            },
        },
    },
)
_SCORECARD = openapi.schema(
    "Scorecard",
    {
        "allOf": [
            {"$ref": "#/components/schemas/ScorecardIn"},
            {
                "type": "object",
                "required": ["id", "version_id", "version", "frozen", "mode"],
                "properties": {
                    "id": {"type": "integer"},
                    "version_id": {"type": "integer"},
                    "version": {"type": "integer"},
                    "versions": {"type": "integer"},
                    "frozen": {"type": "boolean", "description": "true once an evaluation uses this version"},
                },
            },
        ]
    },
)
openapi.add(
    "/qa/scorecards",
    "post",
    {
        "summary": "Create a scorecard (version 1)",
        "requestBody": json_request_spec(_SCORECARD_IN),
        "responses": {"201": json_response_spec("the scorecard tree with ids", _SCORECARD)},
    },
)
openapi.add(
    "/qa/scorecards/{id}",
    "get",
    {
        "summary": "A scorecard's latest version",
        "parameters": ID_PARAM,
        "responses": {"200": json_response_spec("the scorecard tree", _SCORECARD)},
    },
)
