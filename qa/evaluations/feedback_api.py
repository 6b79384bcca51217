"""The agent's answer to an evaluation in the API: acknowledge or dispute it, and a lead's arbitration.
Bearer tokens only; a service's refusal reaches the client in the standard error body."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from portal.api import json_body, json_request_spec, json_response_spec, openapi
from portal.auth import actor_roles, login_required, role_required
from portal.db import get_session
from portal.models import Role
from qa.evaluations import disputes
from qa.evaluations import feedback as fb
from qa.evaluations import queries as fq
from qa.evaluations import services as ev
from qa.evaluations.schemas import MAX_REASON, parse_dispute, parse_resolution
from qa.web import api_bp, signed_in


def _evaluation(evaluation_id: int):
    return fb.visible_evaluation(get_session(), signed_in(), actor_roles(), evaluation_id)


def feedback_dict(evaluation) -> dict[str, Any]:
    """The qa package's evaluation shape plus its dispute and score history."""
    session = get_session()
    body = ev.evaluation_dict(session, evaluation)
    dispute = fq.dispute_of(session, evaluation.id)
    body["dispute"] = (
        None
        if dispute is None
        else {
            "id": dispute.id,
            "status": dispute.status,
            "reason": dispute.reason,
            "criteria": fq.dispute_criteria(session, dispute.id),
            "opened_at": dispute.opened_at.isoformat(),
            "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
            "comment": dispute.resolution_comment,
        }
    )
    body["history"] = [
        {
            "kind": h.kind,
            "score": h.score,
            "auto_fail": h.auto_fail,
            "ratings": h.rating_list(),
            "comment": h.comment,
            "changed_at": h.changed_at.isoformat(),
        }
        for h in fq.history_of(session, evaluation.id)
    ]
    return body


@api_bp.post("/qa/evaluations/<int:evaluation_id>/acknowledge")
@login_required
def acknowledge(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    fb.acknowledge(get_session(), signed_in(), evaluation)
    return jsonify(feedback_dict(evaluation))


@api_bp.post("/qa/evaluations/<int:evaluation_id>/dispute")
@login_required
def dispute(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    data = json_body(dict)
    fb.open_dispute(
        get_session(),
        signed_in(),
        evaluation,
        parse_dispute(data.get("reason"), data.get("criteria")),
        window_days=int(current_app.config.get("DISPUTE_WINDOW_DAYS", 7)),
    )
    return jsonify(feedback_dict(evaluation)), 201


@api_bp.post("/qa/evaluations/<int:evaluation_id>/resolve")
@role_required(Role.LEAD)
def resolve(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    data = json_body(dict)
    disputes.resolve_dispute(
        get_session(),
        signed_in(),
        evaluation,
        parse_resolution(data.get("outcome"), data.get("comment"), data.get("ratings")),
    )
    return jsonify(feedback_dict(evaluation))


# --- OpenAPI ---------------------------------------------------------------------------------------------

_NSTR = {"type": "string", "nullable": True}
_RATING = {
    "type": "object",
    "required": ["criterion_id", "value"],
    "properties": {
        "criterion_id": {"type": "integer"},
        "value": {"type": "integer", "nullable": True, "description": "null = N/A"},
        "comment": {"type": "string"},
        "evidence": {"type": "string"},
    },
}
RATING_SCHEMA = openapi.schema("LoopRating", _RATING)
_EVALUATION = openapi.schema(
    "EvaluationWithDispute",
    {
        "type": "object",
        "required": ["id", "status", "score", "ratings", "dispute", "history"],
        "properties": {
            "id": {"type": "integer"},
            "interaction_id": {"type": "integer"},
            "scorecard_version_id": {"type": "integer"},
            "ticket_id": {"type": "string"},
            "agent": _NSTR,
            "grader": _NSTR,
            "status": {
                "type": "string",
                "enum": ["draft", "submitted", "acknowledged", "disputed", "upheld", "adjusted"],
            },
            "is_calibration": {"type": "boolean"},
            "score": {"type": "number", "nullable": True},
            "raw_score": {"type": "number", "nullable": True},
            "auto_fail": {"type": "boolean"},
            "auto_fail_reasons": {"type": "array", "items": {"type": "string"}},
            "comment": {"type": "string"},
            "ratings": {"type": "array", "items": _RATING},
            "dispute": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["open", "upheld", "adjusted"]},
                    "reason": {"type": "string"},
                    "criteria": {"type": "array", "items": {"type": "integer"}},
                    "opened_at": {"type": "string", "format": "date-time"},
                    "resolved_at": {**_NSTR, "format": "date-time"},
                    "comment": {"type": "string"},
                },
            },
            "history": {
                "type": "array",
                "description": "the original score and ratings, then each adjustment",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["original", "adjusted"]},
                        "score": {"type": "number", "nullable": True},
                        "auto_fail": {"type": "boolean"},
                        "ratings": {"type": "array", "items": _RATING},
                        "comment": {"type": "string"},
                        "changed_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    },
)
_CONFLICT = {"description": "wrong state, already disputed or window closed", "content": {}}
_ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

openapi.add(
    "/qa/evaluations/{id}/acknowledge",
    "post",
    {
        "summary": "The evaluated agent acknowledges a submitted evaluation",
        "parameters": _ID_PARAM,
        "responses": {"200": json_response_spec("the evaluation", _EVALUATION), "409": _CONFLICT},
    },
)
openapi.add(
    "/qa/evaluations/{id}/dispute",
    "post",
    {
        "summary": "The evaluated agent disputes criteria within the dispute window (DISPUTE_WINDOW_DAYS)",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["reason", "criteria"],
                "properties": {
                    "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
                    "criteria": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                },
            }
        ),
        "responses": {"201": json_response_spec("the disputed evaluation", _EVALUATION), "409": _CONFLICT},
    },
)
openapi.add(
    "/qa/evaluations/{id}/resolve",
    "post",
    {
        "summary": "A lead (not the grader or the agent) upholds or adjusts a disputed evaluation",
        "parameters": _ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["outcome"],
                "properties": {
                    "outcome": {"type": "string", "enum": ["upheld", "adjusted"]},
                    "comment": {
                        "type": "string",
                        "maxLength": MAX_REASON,
                        "description": "required to adjust",
                    },
                    "ratings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["criterion_id", "value"],
                            "properties": {
                                "criterion_id": {"type": "integer"},
                                "value": {"type": "integer", "nullable": True},
                                "comment": {"type": "string"},
                            },
                        },
                        "description": "the changed ratings (adjusted only)",
                    },
                },
            }
        ),
        "responses": {
            "200": json_response_spec("the evaluation with its new score", _EVALUATION),
            "409": _CONFLICT,
        },
    },
)
