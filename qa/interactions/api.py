"""Interactions in the API: import a list (masked on the way in) and read one back."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import role_required
from portal.db import get_session, saved_id
from portal.models import Role, User
from qa.interactions import services as imp
from qa.interactions.models import Interaction
from qa.interactions.queries import turns_of
from qa.interactions.records import MAX_RECORDS, MAX_TURN_LENGTH, api_records
from qa.web import ID_PARAM, NULLABLE_STR, api_bp, api_get_or_404, qa_timezone, signed_in, ticket_pattern


def interaction_dict(interaction: Interaction) -> dict[str, Any]:
    session = get_session()
    agent = session.get(User, interaction.agent_id)
    return {
        "id": interaction.id,
        "ticket_id": interaction.ticket_id,
        "channel": interaction.channel,
        "agent": agent.username if agent else None,
        "started_at": interaction.started_at.isoformat(),
        "ended_at": interaction.ended_at.isoformat() if interaction.ended_at else None,
        "csat": interaction.csat,
        "complaint": interaction.complaint,
        "masked_values": interaction.masked_values,
        "imported_at": interaction.imported_at.isoformat(),
        "transcript": [
            {
                "seq": t.seq,
                "speaker": t.speaker,
                "at": t.at.isoformat() if t.at else None,
                "text": t.text,
                "masked": [{"start": s, "end": e, "kind": k} for s, e, k in t.span_list()],
            }
            for t in turns_of(session, saved_id(interaction))
        ],
    }


@api_bp.post("/interactions")
@role_required(Role.QA)
def create_interactions():
    items = json_body(list)
    if len(items) > MAX_RECORDS:
        raise ApiError(413, f"send at most {MAX_RECORDS} interactions per request")
    report = imp.import_records(
        get_session(),
        api_records(items),
        actor=signed_in(),
        ticket_pattern=ticket_pattern(),
        tz=qa_timezone(),
        source="api",
    )
    rejected = sorted(
        [{"index": p.ref, "error": p.error} for p in report.rejected + report.duplicates],
        key=lambda r: r["index"],
    )
    body = {
        "created": report.created,
        "ids": report.created_ids,
        "rejected": rejected,
        "duplicates": len(report.duplicates),
    }
    if report.created == 0 and report.rejected:
        raise ApiError(400, "no interaction was imported", details=body)
    return jsonify(body), 201 if report.created else 200


@api_bp.get("/interactions/<int:interaction_id>")
@role_required(Role.QA, Role.LEAD)
def get_interaction(interaction_id: int):
    return jsonify(interaction_dict(api_get_or_404(Interaction, interaction_id, "interaction")))


_TURN_IN = {
    "type": "object",
    "required": ["speaker", "text"],
    "properties": {
        "speaker": {"type": "string", "enum": ["agent", "customer", "system"]},
        "at": {**NULLABLE_STR, "description": "ISO 8601; without a zone it is in QA_TIMEZONE"},
        "text": {"type": "string", "minLength": 1, "maxLength": MAX_TURN_LENGTH},
    },
}
_INTERACTION_IN = openapi.schema(
    "InteractionIn",
    {
        "type": "object",
        "required": ["ticket_id", "channel", "agent", "started_at", "transcript"],
        "properties": {
            "ticket_id": {"type": "string", "example": "20241123-A001"},
            "channel": {"type": "string", "enum": ["phone", "chat", "email", "social", "ecommerce", "other"]},
            "agent": {"type": "string", "description": "username of the agent"},
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time", "nullable": True},
            "csat": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
            "complaint": {"type": "boolean"},
            "transcript": {"type": "array", "minItems": 1, "items": _TURN_IN},
        },
    },
)
_PROBLEM_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["index", "error"],
        "properties": {"index": {"type": "integer"}, "error": {"type": "string"}},
    },
}
_IMPORT_RESULT = openapi.schema(
    "InteractionImportResult",
    {
        "type": "object",
        "required": ["created", "ids", "rejected"],
        "properties": {
            "created": {"type": "integer"},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "rejected": {**_PROBLEM_LIST, "description": "bad records and skipped duplicates, by list index"},
            "duplicates": {"type": "integer"},
        },
    },
)
_INTERACTION = openapi.schema(
    "Interaction",
    {
        "type": "object",
        "required": ["id", "ticket_id", "channel", "agent", "started_at", "transcript"],
        "properties": {
            "id": {"type": "integer"},
            "ticket_id": {"type": "string"},
            "channel": {"type": "string"},
            "agent": NULLABLE_STR,
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time", "nullable": True},
            "csat": {"type": "integer", "nullable": True},
            "complaint": {"type": "boolean"},
            "masked_values": {"type": "integer"},
            "imported_at": {"type": "string", "format": "date-time"},
            "transcript": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["seq", "speaker", "text", "masked"],
                    "properties": {
                        "seq": {"type": "integer"},
                        "speaker": {"type": "string"},
                        "at": {"type": "string", "format": "date-time", "nullable": True},
                        "text": {"type": "string", "description": "masked text"},
                        "masked": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "start": {"type": "integer"},
                                    "end": {"type": "integer"},
                                    "kind": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
)
openapi.add(
    "/interactions",
    "post",
    {
        "summary": "Import interactions (masked before storing); bad records are reported by list index",
        "requestBody": json_request_spec({"type": "array", "items": _INTERACTION_IN}),
        "responses": {
            "201": json_response_spec("some were created", _IMPORT_RESULT),
            "200": json_response_spec("nothing new (duplicates only)", _IMPORT_RESULT),
            "413": json_response_spec("too many records", {"$ref": "#/components/schemas/Error"}),
        },
    },
)
openapi.add(
    "/interactions/{id}",
    "get",
    {
        "summary": "One interaction with its masked transcript",
        "parameters": ID_PARAM,
        "responses": {"200": json_response_spec("the interaction", _INTERACTION)},
    },
)
