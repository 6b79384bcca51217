"""The API's model of a ticket record: every interaction, visible evaluation and linked article."""

from __future__ import annotations

from pydantic import Field

from portal.schemas import IsoDateTime, Reply
from qa.evaluations.schemas import Evaluation


class TicketInteraction(Reply):
    id: int
    channel: str
    agent: str | None
    started_at: IsoDateTime
    ended_at: IsoDateTime | None
    csat: int | None
    complaint: bool


class TicketArticle(Reply):
    id: int
    external_id: str | None
    title: str
    status: str
    url: str
    reuse: bool = Field(description="linked while the article was live (KCS reuse)")
    linked_at: IsoDateTime


class Ticket(Reply):
    ticket_id: str
    interactions: list[TicketInteraction]
    evaluations: list[Evaluation] = Field(description="those the caller may see")
    articles: list[TicketArticle]
