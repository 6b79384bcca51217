"""JSON API of the quality loop (DESIGN §4): acknowledge, dispute and resolve evaluations, the ticket
record, IQS report rows and calibration sessions. Bearer tokens only; errors in the standard body."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from portal.api import ApiError, error_response, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import actor_roles, current_actor, login_required, role_required
from portal.db import get_session
from portal.models import Role
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa import evaluations as ev
from qa.loop import feedback as fb
from qa.loop import feedback_queries as fq
from qa.loop.errors import LoopError
from qa.loop.tickets import ticket_view

api_bp = Blueprint("loop_api", __name__, url_prefix="/api/v1")


@api_bp.errorhandler(LoopError)
def _refused(exc: LoopError):
    # The loop's services raise LoopError; clients get it in the standard error body, so routes need no try.
    return error_response(exc.status, exc.message, details=exc.details)


def _evaluation(evaluation_id: int):
    return fb.visible_evaluation(get_session(), current_actor(), actor_roles(), evaluation_id)


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
            "criteria": dispute.criterion_ids(),
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
    fb.acknowledge(get_session(), current_actor(), evaluation)
    return jsonify(feedback_dict(evaluation))


@api_bp.post("/qa/evaluations/<int:evaluation_id>/dispute")
@login_required
def dispute(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    data = json_body(dict)
    fb.open_dispute(
        get_session(),
        current_actor(),
        evaluation,
        data.get("reason"),
        data.get("criteria"),
        window_days=int(current_app.config.get("DISPUTE_WINDOW_DAYS", 7)),
    )
    return jsonify(feedback_dict(evaluation)), 201


@api_bp.post("/qa/evaluations/<int:evaluation_id>/resolve")
@role_required(Role.LEAD)
def resolve(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    data = json_body(dict)
    fb.resolve_dispute(
        get_session(),
        current_actor(),
        evaluation,
        data.get("outcome"),
        data.get("comment"),
        data.get("ratings"),
    )
    return jsonify(feedback_dict(evaluation))


@api_bp.get("/tickets/<ticket_id>")
@login_required
def ticket(ticket_id: str):
    try:
        ticket_id = validate_ticket_id(ticket_id, current_app.config["TICKET_ID_PATTERN"])
    except InvalidTicketId as exc:
        raise ApiError(400, str(exc), details={"field": "ticket_id"}) from None
    session = get_session()
    view = ticket_view(session, current_actor(), actor_roles(), ticket_id)
    return jsonify(
        {
            "ticket_id": view.ticket_id,
            "interactions": [
                {
                    "id": i.id,
                    "channel": i.channel,
                    "agent": view.people[i.agent_id].username if i.agent_id in view.people else None,
                    "started_at": i.started_at.isoformat(),
                    "ended_at": i.ended_at.isoformat() if i.ended_at else None,
                    "csat": i.csat,
                    "complaint": i.complaint,
                }
                for i in view.interactions
            ],
            "evaluations": [ev.evaluation_dict(session, e) for e in view.evaluations],
            "articles": [
                {
                    "id": a["id"],
                    "external_id": a["external_id"],
                    "title": a["title"],
                    "status": a["status"],
                    "url": a["url"],
                    "reuse": a["reuse"],
                    "linked_at": a["linked_at"].isoformat(),
                }
                for a in view.articles
            ],
        }
    )


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
                    "reason": {"type": "string", "minLength": 1, "maxLength": fb.MAX_REASON},
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
                        "maxLength": fb.MAX_REASON,
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
openapi.add(
    "/tickets/{ticket_id}",
    "get",
    {
        "summary": "Every interaction, visible evaluation and linked article of one ticket",
        "parameters": [
            {
                "name": "ticket_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "example": "20240315-A001"},
            }
        ],
        "responses": {
            "200": json_response_spec(
                "the ticket",
                openapi.schema(
                    "Ticket",
                    {
                        "type": "object",
                        "required": ["ticket_id", "interactions", "evaluations", "articles"],
                        "properties": {
                            "ticket_id": {"type": "string"},
                            "interactions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "channel", "started_at"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "channel": {"type": "string"},
                                        "agent": _NSTR,
                                        "started_at": {"type": "string", "format": "date-time"},
                                        "ended_at": {**_NSTR, "format": "date-time"},
                                        "csat": {"type": "integer", "nullable": True},
                                        "complaint": {"type": "boolean"},
                                    },
                                },
                            },
                            "evaluations": {"type": "array", "items": {"type": "object"}},
                            "articles": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "title", "status", "url"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "external_id": _NSTR,
                                        "title": {"type": "string"},
                                        "status": {"type": "string"},
                                        "url": {"type": "string"},
                                        "reuse": {"type": "boolean"},
                                        "linked_at": {"type": "string", "format": "date-time"},
                                    },
                                },
                            },
                        },
                    },
                ),
            )
        },
    },
)
