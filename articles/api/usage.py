"""How agents report use of an article through the API: ticket links, helpful votes, outdated flags."""

from __future__ import annotations

from flask import current_app

from articles import feedback, queries
from articles.api.common import CONFLICT, ID_PARAM, WRITERS, api_bp
from portal.api import json_body, json_request_spec, json_response_spec, openapi
from portal.auth import current_actor, login_required, role_required
from portal.db import get_session


@api_bp.post("/articles/<int:article_id>/tickets")
@role_required(*WRITERS)
def link_ticket(article_id: int):
    session = get_session()
    body = json_body()
    link = feedback.link_ticket(
        session,
        current_actor(),
        article_id,
        body.get("ticket_id"),
        current_app.config["TICKET_ID_PATTERN"],
    )
    return {"article_id": article_id, "ticket_id": link.ticket_id, "reuse": link.reuse}, 201


@api_bp.delete("/articles/<int:article_id>/tickets/<ticket_id>")
@role_required(*WRITERS)
def unlink_ticket(article_id: int, ticket_id: str):
    feedback.unlink_ticket(get_session(), current_actor(), article_id, ticket_id)
    return "", 204


@api_bp.post("/articles/<int:article_id>/feedback")
@login_required
def rate(article_id: int):
    session = get_session()
    body = json_body()
    feedback.record_feedback(session, current_actor(), article_id, body.get("helpful"), body.get("reason"))
    summary = queries.feedback_summary(session, article_id)
    return {"helpful": summary["helpful"], "not_helpful": summary["not_helpful"]}


@api_bp.post("/articles/<int:article_id>/flags")
@login_required
def flag(article_id: int):
    session = get_session()
    body = json_body()
    item = feedback.flag_outdated(session, current_actor(), article_id, body.get("comment"))
    return {"id": item.id, "article_id": article_id, "comment": item.comment}, 201


openapi.add(
    "/articles/{id}/tickets",
    "post",
    {
        "summary": "Link the article to a ticket (YYYYMMDD-X001 by default)",
        "parameters": ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["ticket_id"],
                "properties": {"ticket_id": {"type": "string", "maxLength": 64}},
            }
        ),
        "responses": {
            "201": json_response_spec(
                "linked",
                {
                    "type": "object",
                    "required": ["article_id", "ticket_id", "reuse"],
                    "properties": {
                        "article_id": {"type": "integer"},
                        "ticket_id": {"type": "string"},
                        "reuse": {"type": "boolean"},
                    },
                },
            ),
            **CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}/tickets/{ticket_id}",
    "delete",
    {
        "summary": "Remove a wrong ticket link (whoever made the link, or a lead)",
        "parameters": [
            *ID_PARAM,
            {
                "name": "ticket_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "maxLength": 64},
            },
        ],
        "responses": {"204": {"description": "the link is removed"}},
    },
)
openapi.add(
    "/articles/{id}/feedback",
    "post",
    {
        "summary": "Vote helpful / not helpful on a published article (one vote per user)",
        "parameters": ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["helpful"],
                "properties": {
                    "helpful": {"type": "boolean"},
                    "reason": {"type": "string", "maxLength": 1000},
                },
            }
        ),
        "responses": {
            "200": json_response_spec(
                "the article's vote counts",
                {
                    "type": "object",
                    "required": ["helpful", "not_helpful"],
                    "properties": {"helpful": {"type": "integer"}, "not_helpful": {"type": "integer"}},
                },
            ),
            **CONFLICT,
        },
    },
)
openapi.add(
    "/articles/{id}/flags",
    "post",
    {
        "summary": "Flag a published article as outdated",
        "parameters": ID_PARAM,
        "requestBody": json_request_spec(
            {
                "type": "object",
                "required": ["comment"],
                "properties": {"comment": {"type": "string", "minLength": 1, "maxLength": 1000}},
            }
        ),
        "responses": {
            "201": json_response_spec(
                "flagged",
                {
                    "type": "object",
                    "required": ["id", "article_id", "comment"],
                    "properties": {
                        "id": {"type": "integer"},
                        "article_id": {"type": "integer"},
                        "comment": {"type": "string"},
                    },
                },
            ),
            **CONFLICT,
        },
    },
)
