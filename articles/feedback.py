"""Ticket links, helpful votes and 'outdated' flags: how agents tell the knowledge base it was used."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from articles.access import can_unlink_ticket, ensure_visible
from articles.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from articles.models import REASON_MAX, ArticleRevision, ArticleStatus, Feedback, OutdatedFlag, TicketLink
from articles.revisions import get_article
from portal.audit import record
from portal.db import saved_id
from portal.masking import free_text_masker
from portal.models import Role, User, UserRole
from portal.notifications import PageLink, notify
from portal.tickets import InvalidTicketId, validate_ticket_id
from portal.timeutil import utcnow


def _reason(session: Session, value: object, *, required: bool, field: str) -> str:
    """What a reader typed about an article, checked, and masked as it may be stored: a reason or a flag
    comment often quotes the customer the article was used for (their number, their ID)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_l("Some fields are invalid."), details={"fields": {field: "must be a string"}})
    value = value.strip()
    if required and not value:
        raise InvalidInput(_l("A comment is required."), details={"fields": {field: "required"}})
    if len(value) > REASON_MAX:
        raise InvalidInput(
            _l("At most %(n)d characters.", n=REASON_MAX), details={"fields": {field: "too long"}}
        )
    return free_text_masker(session)(value)


def link_ticket(
    session: Session, actor: User | None, article_id: int, ticket_id: object, pattern: str
) -> TicketLink:
    """Record that the article was used on ``ticket_id``; linking twice is harmless and returns the link.
    A link to an article that is already live counts as KCS *reuse*, otherwise as *creation*."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    try:
        ticket = validate_ticket_id(ticket_id, pattern)
    except InvalidTicketId as exc:
        raise InvalidInput(str(exc), details={"fields": {"ticket_id": str(exc)}}) from None
    if not article.state.can_link_ticket():
        raise InvalidTransition(_l("An archived article cannot be linked to tickets."))
    existing = session.exec(
        select(TicketLink).where(TicketLink.article_id == article.id, TicketLink.ticket_id == ticket)
    ).first()
    if existing is not None:
        return existing
    link = TicketLink(
        article_id=saved_id(article),
        ticket_id=ticket,
        user_id=None if actor is None else actor.id,
        reuse=article.state is ArticleStatus.PUBLISHED,
    )
    session.add(link)
    session.flush()
    record(session, actor, "article.link_ticket", "article", article.id, details={"ticket_id": ticket})
    return link


def unlink_ticket(session: Session, actor: User | None, article_id: int, ticket_id: str) -> TicketLink:
    """Remove the article's link to ``ticket_id`` (a wrong link); allowed to whoever made it and to leads.
    The ID is looked up as stored, not checked against the ticket pattern, so a link made under an older
    pattern can still be removed. Works on archived articles too: their links still count in the KCS figures."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    link = session.exec(
        select(TicketLink).where(TicketLink.article_id == article.id, TicketLink.ticket_id == ticket_id)
    ).first()
    if link is None:
        raise NotFound(_l("This link does not exist."))
    if not can_unlink_ticket(session, actor, link.user_id):
        raise Forbidden(_l("Only the person who linked the ticket or a lead can remove the link."))
    record(
        session, actor, "article.unlink_ticket", "article", article.id, details={"ticket_id": link.ticket_id}
    )
    session.delete(link)
    session.flush()
    return link


def record_feedback(
    session: Session, actor: User, article_id: int, helpful: object, reason: object = ""
) -> Feedback:
    """Helpful / not helpful on a published article, one vote per user (voting again replaces it)."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    if not isinstance(helpful, bool):
        raise InvalidInput(
            _l("Say whether the article helped."), details={"fields": {"helpful": "must be true or false"}}
        )
    text = _reason(session, reason, required=False, field="reason")
    if not article.state.can_receive_feedback():
        raise InvalidTransition(_l("Only a published article can be rated."))
    vote = session.exec(
        select(Feedback).where(Feedback.article_id == article.id, Feedback.user_id == actor.id)
    ).first()
    if vote is None:
        vote = Feedback(article_id=saved_id(article), user_id=saved_id(actor), helpful=helpful)
    vote.helpful = helpful
    vote.reason = text
    vote.revision_id = article.live_revision_id
    vote.created_at = utcnow()
    session.add(vote)
    session.flush()
    return vote


def flag_outdated(session: Session, actor: User | None, article_id: int, comment: object) -> OutdatedFlag:
    """Flag a published article as outdated with a comment; it joins the leads' re-verification queue."""
    article = get_article(session, article_id)
    ensure_visible(session, actor, article)
    text = _reason(session, comment, required=True, field="comment")
    if article.state is not ArticleStatus.PUBLISHED:
        raise InvalidTransition(_l("Only a published article can be flagged as outdated."))
    flag = OutdatedFlag(
        article_id=saved_id(article), user_id=None if actor is None else actor.id, comment=text
    )
    session.add(flag)
    session.flush()
    record(session, actor, "article.flag_outdated", "article", article.id, comment=text)
    _notify_flag(session, actor, article, text)
    return flag


def _notify_flag(session: Session, actor: User | None, article, comment: str) -> None:
    """The author and the leads (who re-verify) hear about the flag in the bell; not the flagger."""
    live = session.get(ArticleRevision, article.live_revision_id) if article.live_revision_id else None
    leads = session.exec(
        select(User.id)
        .join(UserRole, col(UserRole.user_id) == User.id)
        .where(UserRole.role == Role.LEAD.value, col(User.is_active).is_(True))
    )
    recipients = set(leads) | ({article.author_id} if article.author_id else set())
    recipients.discard(None if actor is None else actor.id)
    for user_id in sorted(r for r in recipients if r is not None):
        notify(
            session,
            user_id,
            "article_flagged",
            link=PageLink("articles.view", {"article_id": saved_id(article)}),
            title=live.title if live else f"#{article.id}",
            comment=comment,
        )
