"""Sampling plans in the API: create a plan and draw its sample."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import col, select

from portal.auth import role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session, saved_id
from portal.models import Role
from qa.interactions.models import Interaction
from qa.sampling import services as plans
from qa.sampling.models import SamplingPlan
from qa.sampling.schemas import PlanCreated, SamplingDraw, SamplingPlanIn
from qa.web import api_bp, api_get_or_404, local_today, qa_timezone, signed_in


@api_bp.post("/qa/sampling-plans")
@role_required(Role.QA)
@operation("Create a sampling plan", body=SamplingPlanIn, responses={201: Answer("created", PlanCreated)})
def create_sampling_plan(body: SamplingPlanIn):
    date_from, date_to = body.date_from, body.date_to
    if body.period in ("week", "month") and date_from is not None and date_to is None:
        date_from, date_to = plans.period_bounds(body.period, date_from)
    plan = plans.create_plan(get_session(), signed_in(), body.to_input(date_from, date_to))  # PlanError: 400
    return PlanCreated(id=saved_id(plan), seed=plan.seed), 201


def draw_dict(result) -> dict[str, Any]:
    return {
        "seed": result.seed,
        "sample": [
            {
                "interaction_id": item.interaction_id,
                "ticket_id": None,
                "agent": item.agent,
                "channel": item.channel,
                "reason": item.reason.value,
                "grader": item.grader,
            }
            for item in result.items
        ],
        "per_agent": [asdict(s) for s in result.per_agent],
    }


@api_bp.post("/qa/sampling-plans/<int:plan_id>/draw")
@role_required(Role.QA)
@operation(
    "Draw the plan's sample (once) and assign it to the graders",
    path=id_path("plan_id"),
    responses={200: Answer("the sample", SamplingDraw), 409: Answer("already drawn")},
)
def draw_sampling_plan(plan_id: int):
    session = get_session()
    plan = api_get_or_404(SamplingPlan, plan_id, "sampling plan")
    # PlanError: 409 when drawn already, else 400, with the problems
    result = plans.draw_plan(session, signed_in(), plan, qa_timezone(), local_today())
    body = draw_dict(result)
    tickets = dict(
        session.exec(
            select(col(Interaction.id), col(Interaction.ticket_id)).where(
                col(Interaction.id).in_([i["interaction_id"] for i in body["sample"]])
            )
        ).all()
    )
    for item in body["sample"]:
        item["ticket_id"] = tickets.get(item["interaction_id"])
    return body
