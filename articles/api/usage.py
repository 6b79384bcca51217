"""How agents report use of an article through the API: ticket links, helpful votes, outdated flags."""

from __future__ import annotations

from flask import current_app

from articles import feedback, queries
from articles.api import schemas as s
from articles.api.common import CONFLICT, INVALID, WRITERS, api_bp, signed_in
from portal.auth import current_actor, login_required, role_required
from portal.contract import Answer, operation
from portal.db import get_session, saved_id


@api_bp.post("/articles/<int:article_id>/tickets")
@role_required(*WRITERS)
@operation(
    "Link the article to a ticket (YYYYMMDD-X001 by default)",
    path=s.ArticlePath,
    body=s.TicketLinkIn,
    responses={201: Answer("linked", s.TicketLinked), **CONFLICT},
    invalid_code=INVALID,
)
def link_ticket(article_id: int, body: s.TicketLinkIn):
    link = feedback.link_ticket(
        get_session(), current_actor(), article_id, body.ticket_id, current_app.config["TICKET_ID_PATTERN"]
    )
    return s.TicketLinked(article_id=article_id, ticket_id=link.ticket_id, reuse=link.reuse), 201


@api_bp.delete("/articles/<int:article_id>/tickets/<ticket_id>")
@role_required(*WRITERS)
@operation(
    "Remove a wrong ticket link (whoever made the link, or a lead)",
    path=s.TicketLinkPath,
    responses={204: Answer("the link is removed")},
)
def unlink_ticket(article_id: int, ticket_id: str):
    feedback.unlink_ticket(get_session(), current_actor(), article_id, ticket_id)
    return "", 204


@api_bp.post("/articles/<int:article_id>/feedback")
@login_required
@operation(
    "Vote helpful / not helpful on a published article (one vote per user)",
    path=s.ArticlePath,
    body=s.FeedbackIn,
    responses={200: Answer("the article's vote counts", s.Votes), **CONFLICT},
    invalid_code=INVALID,
)
def rate(article_id: int, body: s.FeedbackIn):
    session = get_session()
    feedback.record_feedback(session, signed_in(), article_id, body.helpful, body.reason)
    summary = queries.feedback_summary(session, article_id)
    return s.Votes(helpful=summary["helpful"], not_helpful=summary["not_helpful"])


@api_bp.post("/articles/<int:article_id>/flags")
@login_required
@operation(
    "Flag a published article as outdated",
    path=s.ArticlePath,
    body=s.FlagIn,
    responses={201: Answer("flagged", s.Flagged), **CONFLICT},
    invalid_code=INVALID,
)
def flag(article_id: int, body: s.FlagIn):
    item = feedback.flag_outdated(get_session(), current_actor(), article_id, body.comment)
    return s.Flagged(id=saved_id(item), article_id=article_id, comment=item.comment), 201
