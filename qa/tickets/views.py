"""The ticket page: every interaction, evaluation and linked article of one ticket, and the ticket search box."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from portal.auth import actor_roles, login_required
from portal.db import get_session
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa.tickets.services import ticket_view
from qa.web import bp, signed_in


@bp.get("/tickets/<ticket_id>")
@login_required
def ticket(ticket_id: str):
    try:
        ticket_id = validate_ticket_id(ticket_id, current_app.config["TICKET_ID_PATTERN"])
    except InvalidTicketId as exc:
        return render_template("qa/tickets/ticket.html", error=str(exc), view=None), 400
    view = ticket_view(get_session(), signed_in(), actor_roles(), ticket_id)
    return render_template("qa/tickets/ticket.html", view=view, error=None)


@bp.get("/tickets")
@login_required
def ticket_lookup():
    """The ticket search box: go to the ticket page of the ID typed in."""
    raw = (request.args.get("ticket_id") or "").strip()
    if not raw:
        return render_template("qa/tickets/ticket.html", view=None, error=None)
    return redirect(url_for("qa.ticket", ticket_id=raw[:64]))
