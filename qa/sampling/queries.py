"""Read-only queries of sampling: a grader's queue and the items of one plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal.db import saved_id
from portal.models import User
from qa.evaluations.models import Evaluation
from qa.interactions.models import Interaction
from qa.labels import usernames
from qa.sampling.models import SampleItem, SampleStatus, SamplingPlan, SamplingPlanAgent, SamplingPlanGrader


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
        .join(Interaction, col(Interaction.id) == col(SampleItem.interaction_id))
        .join(SamplingPlan, col(SamplingPlan.id) == col(SampleItem.plan_id))
        .where(col(SampleItem.grader_id) == grader_id)
    )
    if not include_done:
        query = query.where(col(SampleItem.status) != SampleStatus.DONE.value)
    rows = session.exec(
        query.order_by(col(SampleItem.due_on), col(SampleItem.plan_id), col(SampleItem.position))
    ).all()
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
    return [QueueRow(s, i, p, agents.get(i.agent_id), evals.get(saved_id(i))) for s, i, p in rows]


def plan_items(session: Session, plan_id: int) -> list[tuple[SampleItem, Interaction]]:
    return list(
        session.exec(
            select(SampleItem, Interaction)
            .join(Interaction, col(Interaction.id) == col(SampleItem.interaction_id))
            .where(col(SampleItem.plan_id) == plan_id)
            .order_by(col(SampleItem.position))
        ).all()
    )


def plan_agent_ids(session: Session, plan_id: int | None) -> list[int]:
    """The agents a plan is limited to, by id (ascending); empty = no limit by agent."""
    return list(
        session.exec(
            select(col(SamplingPlanAgent.user_id))
            .where(col(SamplingPlanAgent.plan_id) == plan_id)
            .order_by(col(SamplingPlanAgent.user_id))
        )
    )


def plan_grader_ids(session: Session, plan_id: int | None) -> list[int]:
    """The plan's graders in their round-robin order."""
    return list(
        session.exec(
            select(col(SamplingPlanGrader.user_id))
            .where(col(SamplingPlanGrader.plan_id) == plan_id)
            .order_by(col(SamplingPlanGrader.position))
        )
    )
