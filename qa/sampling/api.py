"""Sampling plans in the API: create a plan and draw its sample."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify
from sqlmodel import col, select

from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import role_required
from portal.db import get_session
from portal.models import Role
from qa.interactions.models import Interaction
from qa.sampling import services as plans
from qa.sampling.models import SamplingPlan
from qa.web import (
    ID_PARAM,
    NULLABLE_STR,
    api_bp,
    api_get_or_404,
    local_today,
    opt_int,
    parse_date,
    qa_timezone,
    signed_in,
    str_list,
)


@api_bp.post("/qa/sampling-plans")
@role_required(Role.QA)
def create_sampling_plan():
    data = json_body(dict)
    always = data.get("always_include") or {}
    if not isinstance(always, dict):
        raise ApiError(400, "always_include must be an object", details={"field": "always_include"})
    period = data.get("period", "custom")
    date_from, date_to = parse_date(data.get("from"), "from"), parse_date(data.get("to"), "to")
    if period in ("week", "month") and date_from is not None and date_to is None:
        date_from, date_to = plans.period_bounds(period, date_from)
    team = data.get("team")
    if team is not None and not isinstance(team, str):
        raise ApiError(400, "team must be a string", details={"field": "team"})
    inp = plans.PlanInput(
        name=data.get("name") if isinstance(data.get("name"), str) else "",
        period_kind=period if isinstance(period, str) else "",
        date_from=date_from,
        date_to=date_to,
        quota_per_agent=data.get("quota_per_agent", 5),
        channels=str_list(data.get("channels"), "channels"),
        agents=str_list(data.get("agents"), "agents"),
        team=team,
        csat_at_most=opt_int(data.get("csat_at_most"), "csat_at_most"),
        complaints_only=bool(data.get("complaints_only", False)),
        always_complaints=bool(always.get("complaints", False)),
        always_csat_at_most=opt_int(always.get("csat_at_most"), "always_include.csat_at_most"),
        always_cap=opt_int(always.get("cap"), "always_include.cap"),
        seed=opt_int(data.get("seed"), "seed"),
        graders=str_list(data.get("graders"), "graders"),
        due_days=data.get("due_days", 7),
        scorecard_id=opt_int(data.get("scorecard_id"), "scorecard_id"),
    )
    plan = plans.create_plan(get_session(), signed_in(), inp)  # PlanError: 400 with the problems
    return jsonify({"id": plan.id, "seed": plan.seed}), 201


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
    return jsonify(body)


_PLAN_IN = openapi.schema(
    "SamplingPlanIn",
    {
        "type": "object",
        "required": ["name", "from"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "period": {
                "type": "string",
                "enum": ["week", "month", "custom"],
                "default": "custom",
                "description": "week/month with only `from`: the week (Mon–Sun) or month containing it",
            },
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date", "description": "inclusive"},
            "quota_per_agent": {"type": "integer", "minimum": 0, "maximum": plans.MAX_QUOTA, "default": 5},
            "channels": {"type": "array", "items": {"type": "string"}},
            "agents": {"type": "array", "items": {"type": "string"}, "description": "usernames"},
            "team": {"type": "string", "nullable": True},
            "csat_at_most": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
            "complaints_only": {"type": "boolean"},
            "always_include": {
                "type": "object",
                "properties": {
                    "complaints": {"type": "boolean"},
                    "csat_at_most": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
                    "cap": {"type": "integer", "minimum": 0, "nullable": True, "description": "per agent"},
                },
            },
            "seed": {
                "type": "integer",
                "minimum": 0,
                "nullable": True,
                "description": "random when not given",
            },
            "graders": {"type": "array", "items": {"type": "string"}, "description": "QA usernames"},
            "due_days": {"type": "integer", "minimum": 0, "maximum": 365, "default": 7},
            "scorecard_id": {"type": "integer", "nullable": True},
        },
    },
)
_DRAW = openapi.schema(
    "SamplingDraw",
    {
        "type": "object",
        "required": ["seed", "sample", "per_agent"],
        "properties": {
            "seed": {"type": "integer"},
            "sample": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["interaction_id", "ticket_id", "agent", "grader"],
                    "properties": {
                        "interaction_id": {"type": "integer"},
                        "ticket_id": {"type": "string"},
                        "agent": {"type": "string"},
                        "channel": {"type": "string"},
                        "reason": {"type": "string", "enum": ["complaint", "low_csat", "random"]},
                        "grader": NULLABLE_STR,
                    },
                },
            },
            "per_agent": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["agent", "population", "sampled", "margin_of_error"],
                    "properties": {
                        "agent": {"type": "string"},
                        "population": {"type": "integer"},
                        "sampled": {"type": "integer"},
                        "always_included": {"type": "integer"},
                        "random_sampled": {"type": "integer"},
                        "margin_of_error": {
                            "type": "number",
                            "nullable": True,
                            "description": "95 % margin of error of a failure rate (proportion, finite-population "
                            "corrected) for the random part; null when nothing random was drawn",
                        },
                    },
                },
            },
        },
    },
)
openapi.add(
    "/qa/sampling-plans",
    "post",
    {
        "summary": "Create a sampling plan",
        "requestBody": json_request_spec(_PLAN_IN),
        "responses": {
            "201": json_response_spec(
                "created",
                {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}, "seed": {"type": "integer"}},
                },
            )
        },
    },
)
openapi.add(
    "/qa/sampling-plans/{id}/draw",
    "post",
    {
        "summary": "Draw the plan's sample (once) and assign it to the graders",
        "parameters": ID_PARAM,
        "responses": {
            "200": json_response_spec("the sample", _DRAW),
            "409": json_response_spec("already drawn", {"$ref": "#/components/schemas/Error"}),
        },
    },
)
