"""The ticket record in the API: every interaction, visible evaluation and linked article of one ticket."""

from __future__ import annotations

from flask import current_app, jsonify

from portal.api import ApiError
from portal.auth import actor_roles, login_required
from portal.contract import Answer, operation
from portal.db import get_session
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa.evaluations import services as ev
from qa.tickets.schemas import Ticket
from qa.tickets.services import ticket_view
from qa.web import api_bp, signed_in


@api_bp.get("/tickets/<ticket_id>")
@login_required
@operation(
    "Every interaction, visible evaluation and linked article of one ticket",
    responses={200: Answer("the ticket", Ticket)},
)
def ticket(ticket_id: str):
    try:
        ticket_id = validate_ticket_id(ticket_id, current_app.config["TICKET_ID_PATTERN"])
    except InvalidTicketId as exc:
        raise ApiError(400, str(exc), details={"field": "ticket_id"}) from None
    session = get_session()
    view = ticket_view(session, signed_in(), actor_roles(), ticket_id)
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
