"""The ticket page: every interaction, evaluation and linked article of one ticket, and the ticket search box."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from portal.auth import actor_roles, login_required
from portal.db import get_session
from portal.masking import mask_text
from portal.tickets import InvalidTicketId, validate_ticket_id
from qa.tickets.services import ticket_view
from qa.web import bp, signed_in


@bp.get("/tickets/<ticket_id>")
@login_required
def ticket(ticket_id: str):
    try:
        ticket_id = validate_ticket_id(ticket_id, current_app.config["TICKET_ID_PATTERN"])
    except InvalidTicketId:
        return _refused(ticket_id)
    view = ticket_view(get_session(), signed_in(), actor_roles(), ticket_id)
    return render_template("qa/tickets/ticket.html", view=view, error=None, typed=ticket_id)


@bp.get("/tickets")
@login_required
def ticket_lookup():
    """The ticket search box: go to the ticket page of the ID typed in."""
    raw = (request.args.get("ticket_id") or "").strip()
    if not raw:
        return render_template("qa/tickets/ticket.html", view=None, error=None, typed="")
    try:
        ticket_id = validate_ticket_id(raw, current_app.config["TICKET_ID_PATTERN"])
    except InvalidTicketId:
        # Answered here, not by redirecting to a path that could carry a customer's number into the logs.
        return _refused(raw)
    return redirect(url_for("qa.ticket", ticket_id=ticket_id))


def _refused(typed: str):
    """The lookup again, with the error under the field. What was typed is shown masked: an agent may
    paste a customer's phone number where the ticket ID belongs (a ticket ID survives masking)."""
    shown = mask_text(typed[:200]).text
    try:
        validate_ticket_id(shown, current_app.config["TICKET_ID_PATTERN"])
        error = ""
    except InvalidTicketId as exc:
        error = str(exc)
    return render_template(
        "qa/tickets/ticket.html",
        view=None,
        error=error,
        typed=shown,
        language_next=url_for("qa.ticket_lookup"),  # not this URL: its query holds what was typed
    ), 400
