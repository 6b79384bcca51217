"""Read-only queries of interactions: the list with filters, a transcript, the interactions of a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from portal.models import User
from qa.interactions.models import Interaction, TranscriptTurn

PAGE_SIZE = 50


def interactions_of_ticket(session: Session, ticket_id: str) -> list[Interaction]:
    """Every interaction of a ticket, oldest first."""
    return list(
        session.exec(
            select(Interaction)
            .where(col(Interaction.ticket_id) == ticket_id)
            .order_by(col(Interaction.started_at))
        )
    )


def turns_of(session: Session, interaction_id: int) -> list[TranscriptTurn]:
    return list(
        session.exec(
            select(TranscriptTurn)
            .where(col(TranscriptTurn.interaction_id) == interaction_id)
            .order_by(col(TranscriptTurn.seq))
        )
    )


@dataclass
class InteractionFilter:
    ticket_id: str = ""
    agent: str = ""
    channel: str = ""
    complaint: bool = False
    date_from: date | None = None
    date_to: date | None = None


def list_interactions(session: Session, flt: InteractionFilter, page: int) -> tuple[list[Interaction], int]:
    """A page of interactions, newest first, and the total count."""
    query = select(Interaction)
    if flt.ticket_id:
        query = query.where(col(Interaction.ticket_id).startswith(flt.ticket_id))
    if flt.agent:
        agent_id = session.exec(select(col(User.id)).where(col(User.username) == flt.agent)).first()
        query = query.where(col(Interaction.agent_id) == (agent_id or -1))
    if flt.channel:
        query = query.where(col(Interaction.channel) == flt.channel)
    if flt.complaint:
        query = query.where(col(Interaction.complaint).is_(True))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Interaction.started_at).desc(), col(Interaction.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(rows), total
