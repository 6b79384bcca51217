"""The ticket page: every interaction, evaluation and linked article of one ticket, filtered by what the
reader may see (an agent sees only their own released evaluations, see :func:`qa.evaluations.feedback.can_view`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from articles.access import can_unlink_ticket
from articles.queries import articles_for_ticket
from portal.models import Role, User
from qa.evaluations.feedback import can_view
from qa.evaluations.models import Evaluation
from qa.evaluations.queries import evaluations_of_ticket
from qa.interactions.models import Interaction
from qa.interactions.queries import interactions_of_ticket
from qa.labels import usernames


@dataclass
class TicketView:
    ticket_id: str
    interactions: list[Interaction] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    people: dict[int, User] = field(default_factory=dict)
    unlinkable: set[int] = field(
        default_factory=set
    )  # articles whose link to this ticket the reader may remove

    @property
    def empty(self) -> bool:
        return not (self.interactions or self.evaluations or self.articles)


def ticket_view(session: Session, user: User, roles: set[str], ticket_id: str) -> TicketView:
    """Gather one (already validated) ticket ID's rows that ``user`` may see."""
    drafts = bool(roles & {Role.QA.value, Role.ADMIN.value})
    evaluations = [
        e
        for e in evaluations_of_ticket(session, ticket_id, include_drafts=drafts)
        if can_view(e, user, roles)
    ]
    interactions = interactions_of_ticket(session, ticket_id)
    people = usernames(
        session,
        {i.agent_id for i in interactions}
        | {e.agent_id for e in evaluations}
        | {e.grader_id for e in evaluations},
    )
    articles = articles_for_ticket(session, ticket_id)
    writer = bool(roles & {Role.AGENT.value, Role.LEAD.value, Role.ADMIN.value})
    return TicketView(
        ticket_id=ticket_id,
        interactions=interactions,
        evaluations=evaluations,
        articles=articles,
        people=people,
        unlinkable={a["id"] for a in articles if writer and can_unlink_ticket(session, user, a["linked_by"])},
    )
