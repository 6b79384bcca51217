"""Read-only queries of the qa package, for its pages and for other packages (ticket page, agent feedback,
reports). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from portal.models import User
from qa.models import (
    Evaluation,
    EvaluationStatus,
    Interaction,
    SampleItem,
    SampleStatus,
    SamplingPlan,
    TranscriptTurn,
)

PAGE_SIZE = 50


def interactions_of_ticket(session: Session, ticket_id: str) -> list[Interaction]:
    """Every interaction of a ticket, oldest first."""
    return list(
        session.exec(
            select(Interaction).where(Interaction.ticket_id == ticket_id).order_by(Interaction.started_at)
        )
    )


def evaluations_of_ticket(
    session: Session, ticket_id: str, *, include_drafts: bool = False
) -> list[Evaluation]:
    """The evaluations of a ticket (no calibration ones), newest first; drafts only if asked."""
    query = select(Evaluation).where(
        Evaluation.ticket_id == ticket_id, col(Evaluation.is_calibration).is_(False)
    )
    if not include_drafts:
        query = query.where(Evaluation.status != EvaluationStatus.DRAFT.value)
    return list(session.exec(query.order_by(col(Evaluation.id).desc())))


def evaluations_of_agent(
    session: Session,
    agent_id: int,
    *,
    include_drafts: bool = False,
    include_calibration: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Evaluation]:
    """An agent's evaluations, newest first. By default only released (submitted or later), non-calibration
    ones, which is what the agent may see and what IQS counts."""
    query = select(Evaluation).where(Evaluation.agent_id == agent_id)
    if not include_drafts:
        query = query.where(Evaluation.status != EvaluationStatus.DRAFT.value)
    if not include_calibration:
        query = query.where(col(Evaluation.is_calibration).is_(False))
    if since is not None:
        query = query.where(Evaluation.submitted_at >= since)
    if until is not None:
        query = query.where(Evaluation.submitted_at < until)
    return list(session.exec(query.order_by(col(Evaluation.id).desc())))


def turns_of(session: Session, interaction_id: int) -> list[TranscriptTurn]:
    return list(
        session.exec(
            select(TranscriptTurn)
            .where(TranscriptTurn.interaction_id == interaction_id)
            .order_by(TranscriptTurn.seq)
        )
    )


def usernames(session: Session, ids: set[int]) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}


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
        agent_id = session.exec(select(User.id).where(User.username == flt.agent)).first()
        query = query.where(Interaction.agent_id == (agent_id or -1))
    if flt.channel:
        query = query.where(Interaction.channel == flt.channel)
    if flt.complaint:
        query = query.where(col(Interaction.complaint).is_(True))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Interaction.started_at).desc(), col(Interaction.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return list(rows), total


@dataclass
class QueueRow:
    item: SampleItem
    interaction: Interaction
    plan: SamplingPlan
    agent: User | None
    evaluation: Evaluation | None


def queue_of(session: Session, grader_id: int, *, include_done: bool = False) -> list[QueueRow]:
    """The sample items assigned to a grader ('my queue'), earliest due first."""
    query = (
        select(SampleItem, Interaction, SamplingPlan)
        .join(Interaction, Interaction.id == SampleItem.interaction_id)
        .join(SamplingPlan, SamplingPlan.id == SampleItem.plan_id)
        .where(SampleItem.grader_id == grader_id)
    )
    if not include_done:
        query = query.where(SampleItem.status != SampleStatus.DONE.value)
    rows = session.exec(query.order_by(SampleItem.due_on, SampleItem.plan_id, SampleItem.position)).all()
    agents = usernames(session, {i.agent_id for _, i, _ in rows})
    evals = (
        {
            e.interaction_id: e
            for e in session.exec(
                select(Evaluation).where(
                    col(Evaluation.interaction_id).in_([i.id for _, i, _ in rows]),
                    col(Evaluation.is_calibration).is_(False),
                )
            )
        }
        if rows
        else {}
    )
    return [QueueRow(s, i, p, agents.get(i.agent_id), evals.get(i.id)) for s, i, p in rows]


def plan_items(session: Session, plan_id: int) -> list[tuple[SampleItem, Interaction]]:
    return list(
        session.exec(
            select(SampleItem, Interaction)
            .join(Interaction, Interaction.id == SampleItem.interaction_id)
            .where(SampleItem.plan_id == plan_id)
            .order_by(SampleItem.position)
        ).all()
    )
