"""The qa JSON API (DESIGN §4): interactions, scorecards, sampling plans and draws, evaluations."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify
from sqlmodel import select

from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import current_actor, has_role, login_required, role_required
from portal.db import get_session
from portal.models import Role, User
from qa import evaluations as ev
from qa import interactions as imp
from qa import plans, scorecards
from qa.models import Evaluation, EvaluationStatus, Interaction, SamplingPlan, Scorecard, ScorecardVersion
from qa.queries import turns_of
from qa.web import local_today, qa_timezone, ticket_pattern

api_bp = Blueprint("qa_api", __name__, url_prefix="/api/v1")


def _get(model, object_id: int, what: str):
    obj = get_session().get(model, object_id)
    if obj is None:
        raise ApiError(404, f"{what} {object_id} not found")
    return obj


# --- interactions ----------------------------------------------------------------------------------------


def interaction_dict(interaction: Interaction) -> dict[str, Any]:
    session = get_session()
    agent = session.get(User, interaction.agent_id)
    return {
        "id": interaction.id,
        "ticket_id": interaction.ticket_id,
        "channel": interaction.channel,
        "agent": agent.username if agent else None,
        "started_at": interaction.started_at.isoformat(),
        "ended_at": interaction.ended_at.isoformat() if interaction.ended_at else None,
        "csat": interaction.csat,
        "complaint": interaction.complaint,
        "masked_values": interaction.masked_values,
        "imported_at": interaction.imported_at.isoformat(),
        "transcript": [
            {
                "seq": t.seq,
                "speaker": t.speaker,
                "at": t.at.isoformat() if t.at else None,
                "text": t.text,
                "masked": [{"start": s, "end": e, "kind": k} for s, e, k in t.span_list()],
            }
            for t in turns_of(session, interaction.id)
        ],
    }


@api_bp.post("/interactions")
@role_required(Role.QA)
def create_interactions():
    items = json_body(list)
    if len(items) > imp.MAX_RECORDS:
        raise ApiError(413, f"send at most {imp.MAX_RECORDS} interactions per request")
    report = imp.import_records(
        get_session(),
        imp.api_records(items),
        actor=current_actor(),
        ticket_pattern=ticket_pattern(),
        tz=qa_timezone(),
        source="api",
    )
    rejected = sorted(
        [{"index": p.ref, "error": p.error} for p in report.rejected + report.duplicates],
        key=lambda r: r["index"],
    )
    body = {
        "created": report.created,
        "ids": report.created_ids,
        "rejected": rejected,
        "duplicates": len(report.duplicates),
    }
    if report.created == 0 and report.rejected:
        raise ApiError(400, "no interaction was imported", details=body)
    return jsonify(body), 201 if report.created else 200


@api_bp.get("/interactions/<int:interaction_id>")
@role_required(Role.QA, Role.LEAD)
def get_interaction(interaction_id: int):
    return jsonify(interaction_dict(_get(Interaction, interaction_id, "interaction")))


# --- scorecards ------------------------------------------------------------------------------------------


@api_bp.post("/qa/scorecards")
@role_required(Role.QA)
def create_scorecard():
    data = json_body(dict)
    try:
        inp = scorecards.parse_payload(data)
        card, version = scorecards.create_scorecard(get_session(), current_actor(), inp)
    except scorecards.ScorecardInputError as exc:
        raise ApiError(400, str(exc), details={"problems": exc.problems}) from None
    return jsonify(scorecards.version_tree(get_session(), card, version)), 201


@api_bp.get("/qa/scorecards/<int:scorecard_id>")
@role_required(Role.QA, Role.LEAD)
def get_scorecard(scorecard_id: int):
    session = get_session()
    card = _get(Scorecard, scorecard_id, "scorecard")
    return jsonify(scorecards.version_tree(session, card, scorecards.latest_version(session, card.id)))


# --- sampling plans --------------------------------------------------------------------------------------


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD)", details={"field": name})
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD)", details={"field": name}) from None


def _str_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"{name} must be a list of strings", details={"field": name})
    return value


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{name} must be a whole number or null", details={"field": name})
    return value


@api_bp.post("/qa/sampling-plans")
@role_required(Role.QA)
def create_sampling_plan():
    data = json_body(dict)
    always = data.get("always_include") or {}
    if not isinstance(always, dict):
        raise ApiError(400, "always_include must be an object", details={"field": "always_include"})
    period = data.get("period", "custom")
    date_from, date_to = _date(data.get("from"), "from"), _date(data.get("to"), "to")
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
        channels=_str_list(data.get("channels"), "channels"),
        agents=_str_list(data.get("agents"), "agents"),
        team=team,
        csat_at_most=_opt_int(data.get("csat_at_most"), "csat_at_most"),
        complaints_only=bool(data.get("complaints_only", False)),
        always_complaints=bool(always.get("complaints", False)),
        always_csat_at_most=_opt_int(always.get("csat_at_most"), "always_include.csat_at_most"),
        always_cap=_opt_int(always.get("cap"), "always_include.cap"),
        seed=_opt_int(data.get("seed"), "seed"),
        graders=_str_list(data.get("graders"), "graders"),
        due_days=data.get("due_days", 7),
        scorecard_id=_opt_int(data.get("scorecard_id"), "scorecard_id"),
    )
    try:
        plan = plans.create_plan(get_session(), current_actor(), inp)
    except plans.PlanError as exc:
        raise ApiError(400, str(exc), details={"problems": exc.problems}) from None
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
        "per_agent": [
            {
                "agent": s.agent,
                "population": s.population,
                "sampled": s.sampled,
                "always_included": s.always_included,
                "random_sampled": s.random_sampled,
                "margin_of_error": s.margin_of_error,
            }
            for s in result.per_agent
        ],
    }


@api_bp.post("/qa/sampling-plans/<int:plan_id>/draw")
@role_required(Role.QA)
def draw_sampling_plan(plan_id: int):
    session = get_session()
    plan = _get(SamplingPlan, plan_id, "sampling plan")
    try:
        result = plans.draw_plan(session, current_actor(), plan, qa_timezone(), local_today())
    except plans.PlanError as exc:
        raise ApiError(409 if exc.conflict else 400, str(exc), details={"problems": exc.problems}) from None
    body = draw_dict(result)
    tickets = dict(
        session.exec(
            select(Interaction.id, Interaction.ticket_id).where(
                Interaction.id.in_([i["interaction_id"] for i in body["sample"]])
            )
        ).all()
    )
    for item in body["sample"]:
        item["ticket_id"] = tickets.get(item["interaction_id"])
    return jsonify(body)


# --- evaluations -----------------------------------------------------------------------------------------


def _ratings(value: Any) -> list[ev.RatingInput]:
    if not isinstance(value, list):
        raise ApiError(400, "ratings must be a list", details={"field": "ratings"})
    out = []
    for i, r in enumerate(value):
        if (
            not isinstance(r, dict)
            or isinstance(r.get("criterion_id"), bool)
            or not isinstance(r.get("criterion_id"), int)
        ):
            raise ApiError(
                400, f"ratings[{i}] needs an integer criterion_id", details={"field": f"ratings[{i}]"}
            )
        for key in ("comment", "evidence"):
            if r.get(key) is not None and not isinstance(r.get(key), str):
                raise ApiError(
                    400, f"ratings[{i}].{key} must be a string", details={"field": f"ratings[{i}]"}
                )
        out.append(
            ev.RatingInput(
                criterion_id=r["criterion_id"],
                value=r.get("value"),
                comment=r.get("comment") or "",
                evidence=r.get("evidence") or "",
            )
        )
    return out


@api_bp.post("/qa/evaluations")
@role_required(Role.QA)
def create_evaluation():
    data = json_body(dict)
    session = get_session()
    actor = current_actor()
    interaction_id = data.get("interaction_id")
    if isinstance(interaction_id, bool) or not isinstance(interaction_id, int):
        raise ApiError(400, "interaction_id must be an integer", details={"field": "interaction_id"})
    interaction = _get(Interaction, interaction_id, "interaction")
    version_id = _opt_int(data.get("scorecard_version_id"), "scorecard_version_id")
    existing = ev.existing_evaluation(session, interaction.id)
    if version_id is None:
        if existing is not None:
            version_id = existing.scorecard_version_id
        else:
            card = scorecards.default_scorecard(session)
            version = scorecards.latest_version(session, card.id) if card else None
            if version is None:
                raise ApiError(400, "no scorecard exists; create one first")
            version_id = version.id
    version = _get(ScorecardVersion, version_id, "scorecard version")
    for key in ("comment", "gap_note"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise ApiError(400, f"{key} must be a string", details={"field": key})
    inp = ev.EvaluationInput(
        ratings=_ratings(data.get("ratings", [])),
        comment=data.get("comment") or "",
        article_id=_opt_int(data.get("article_id"), "article_id"),
        no_article=bool(data.get("no_article", False)),
        gap_note=data.get("gap_note") or "",
    )
    draft = None
    if existing is not None and existing.grader_id == actor.id and existing.state.can_edit():
        if existing.scorecard_version_id != version.id:
            raise ApiError(409, "the draft of this interaction uses another scorecard version")
        draft = existing
    try:
        evaluation = ev.save_evaluation(
            session,
            actor,
            interaction,
            version,
            inp,
            submit=bool(data.get("submit", False)),
            evaluation=draft,
        )
    except ev.EvaluationError as exc:
        raise ApiError(
            409 if exc.conflict else 400,
            str(exc),
            details={"problems": [{"criterion_id": c, "message": m} for c, m in exc.problems]},
        ) from None
    return jsonify(
        {
            "id": evaluation.id,
            "score": evaluation.score,
            "auto_fail": evaluation.auto_fail,
            "auto_fail_reasons": evaluation.reasons(),
            "status": evaluation.status,
        }
    ), 201 if draft is None else 200


@api_bp.get("/qa/evaluations/<int:evaluation_id>")
@login_required
def get_evaluation(evaluation_id: int):
    evaluation = _get(Evaluation, evaluation_id, "evaluation")
    actor = current_actor()
    own = evaluation.agent_id == actor.id and evaluation.status != EvaluationStatus.DRAFT.value
    if not own and not has_role(Role.QA, Role.LEAD):
        raise ApiError(403, "you may not read this evaluation")
    return jsonify(ev.evaluation_dict(get_session(), evaluation))


# --- OpenAPI ---------------------------------------------------------------------------------------------

_NULLABLE_STR = {"type": "string", "nullable": True}
_TURN_IN = {
    "type": "object",
    "required": ["speaker", "text"],
    "properties": {
        "speaker": {"type": "string", "enum": ["agent", "customer", "system"]},
        "at": {**_NULLABLE_STR, "description": "ISO 8601; without a zone it is in QA_TIMEZONE"},
        "text": {"type": "string", "minLength": 1, "maxLength": imp.MAX_TURN_LENGTH},
    },
}
_INTERACTION_IN = openapi.schema(
    "InteractionIn",
    {
        "type": "object",
        "required": ["ticket_id", "channel", "agent", "started_at", "transcript"],
        "properties": {
            "ticket_id": {"type": "string", "example": "20241123-A001"},
            "channel": {"type": "string", "enum": ["phone", "chat", "email", "social", "ecommerce", "other"]},
            "agent": {"type": "string", "description": "username of the agent"},
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time", "nullable": True},
            "csat": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
            "complaint": {"type": "boolean"},
            "transcript": {"type": "array", "minItems": 1, "items": _TURN_IN},
        },
    },
)
_PROBLEM_LIST = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["index", "error"],
        "properties": {"index": {"type": "integer"}, "error": {"type": "string"}},
    },
}
_IMPORT_RESULT = openapi.schema(
    "InteractionImportResult",
    {
        "type": "object",
        "required": ["created", "ids", "rejected"],
        "properties": {
            "created": {"type": "integer"},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "rejected": {**_PROBLEM_LIST, "description": "bad records and skipped duplicates, by list index"},
            "duplicates": {"type": "integer"},
        },
    },
)
_INTERACTION = openapi.schema(
    "Interaction",
    {
        "type": "object",
        "required": ["id", "ticket_id", "channel", "agent", "started_at", "transcript"],
        "properties": {
            "id": {"type": "integer"},
            "ticket_id": {"type": "string"},
            "channel": {"type": "string"},
            "agent": _NULLABLE_STR,
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": {"type": "string", "format": "date-time", "nullable": True},
            "csat": {"type": "integer", "nullable": True},
            "complaint": {"type": "boolean"},
            "masked_values": {"type": "integer"},
            "imported_at": {"type": "string", "format": "date-time"},
            "transcript": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["seq", "speaker", "text", "masked"],
                    "properties": {
                        "seq": {"type": "integer"},
                        "speaker": {"type": "string"},
                        "at": {"type": "string", "format": "date-time", "nullable": True},
                        "text": {"type": "string", "description": "masked text"},
                        "masked": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "start": {"type": "integer"},
                                    "end": {"type": "integer"},
                                    "kind": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
)
_CRITERION = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "scale": {"type": "string", "enum": ["binary", "3", "5"], "default": "binary"},
        "points": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "default": 1},
        "allow_na": {"type": "boolean", "default": False},
        "critical": {"type": "boolean", "default": False},
        "guidance": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "scale value → what the level means",
        },
    },
}
_SCORECARD_IN = openapi.schema(
    "ScorecardIn",
    {
        "type": "object",
        "required": ["name", "sections"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string"},
            "mode": {
                "type": "string",
                "enum": ["points", "weighted_sections"],
                "default": "weighted_sections",
            },
            "sections": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "criteria"],
                    "properties": {
                        "id": {"type": "integer", "readOnly": True},
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "weight": {"type": "number", "minimum": 0, "default": 1},
                        "criteria": {"type": "array", "minItems": 1, "items": _CRITERION},
                    },
                },
            },
        },
    },
)
_SCORECARD = openapi.schema(
    "Scorecard",
    {
        "allOf": [
            {"$ref": "#/components/schemas/ScorecardIn"},
            {
                "type": "object",
                "required": ["id", "version_id", "version", "frozen", "mode"],
                "properties": {
                    "id": {"type": "integer"},
                    "version_id": {"type": "integer"},
                    "version": {"type": "integer"},
                    "versions": {"type": "integer"},
                    "frozen": {"type": "boolean", "description": "true once an evaluation uses this version"},
                },
            },
        ]
    },
)
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
                        "grader": _NULLABLE_STR,
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
_RATING = {
    "type": "object",
    "required": ["criterion_id", "value"],
    "properties": {
        "criterion_id": {"type": "integer"},
        "value": {"type": "integer", "nullable": True, "description": "on the criterion's scale; null = N/A"},
        "comment": {"type": "string"},
        "evidence": {"type": "string", "description": "a quote from the (masked) transcript"},
    },
}
_EVALUATION_IN = openapi.schema(
    "EvaluationIn",
    {
        "type": "object",
        "required": ["interaction_id", "ratings"],
        "properties": {
            "interaction_id": {"type": "integer"},
            "scorecard_version_id": {"type": "integer", "nullable": True},
            "ratings": {"type": "array", "items": _RATING},
            "comment": {"type": "string"},
            "article_id": {"type": "integer", "minimum": 1, "nullable": True},
            "no_article": {"type": "boolean"},
            "gap_note": {"type": "string"},
            "submit": {"type": "boolean", "default": False},
        },
    },
)
_EVALUATION_RESULT = openapi.schema(
    "EvaluationResult",
    {
        "type": "object",
        "required": ["id", "score", "auto_fail", "status"],
        "properties": {
            "id": {"type": "integer"},
            "score": {"type": "number", "nullable": True, "description": "0–100, full precision"},
            "auto_fail": {"type": "boolean"},
            "auto_fail_reasons": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string", "enum": [s.value for s in EvaluationStatus]},
        },
    },
)
_EVALUATION = openapi.schema(
    "Evaluation",
    {
        "allOf": [
            {"$ref": "#/components/schemas/EvaluationResult"},
            {
                "type": "object",
                "properties": {
                    "interaction_id": {"type": "integer"},
                    "scorecard_version_id": {"type": "integer"},
                    "ticket_id": {"type": "string"},
                    "agent": _NULLABLE_STR,
                    "grader": _NULLABLE_STR,
                    "is_calibration": {"type": "boolean"},
                    "raw_score": {"type": "number", "nullable": True},
                    "comment": {"type": "string"},
                    "article_id": {"type": "integer", "nullable": True},
                    "no_article": {"type": "boolean"},
                    "gap_note": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
                    "ratings": {"type": "array", "items": _RATING},
                },
            },
        ]
    },
)
_ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

openapi.add(
    "/interactions",
    "post",
    {
        "summary": "Import interactions (masked before storing); bad records are reported by list index",
        "requestBody": json_request_spec({"type": "array", "items": _INTERACTION_IN}),
        "responses": {
            "201": json_response_spec("some were created", _IMPORT_RESULT),
            "200": json_response_spec("nothing new (duplicates only)", _IMPORT_RESULT),
            "413": json_response_spec("too many records", {"$ref": "#/components/schemas/Error"}),
        },
    },
)
openapi.add(
    "/interactions/{id}",
    "get",
    {
        "summary": "One interaction with its masked transcript",
        "parameters": _ID_PARAM,
        "responses": {"200": json_response_spec("the interaction", _INTERACTION)},
    },
)
openapi.add(
    "/qa/scorecards",
    "post",
    {
        "summary": "Create a scorecard (version 1)",
        "requestBody": json_request_spec(_SCORECARD_IN),
        "responses": {"201": json_response_spec("the scorecard tree with ids", _SCORECARD)},
    },
)
openapi.add(
    "/qa/scorecards/{id}",
    "get",
    {
        "summary": "A scorecard's latest version",
        "parameters": _ID_PARAM,
        "responses": {"200": json_response_spec("the scorecard tree", _SCORECARD)},
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
        "parameters": _ID_PARAM,
        "responses": {
            "200": json_response_spec("the sample", _DRAW),
            "409": json_response_spec("already drawn", {"$ref": "#/components/schemas/Error"}),
        },
    },
)
openapi.add(
    "/qa/evaluations",
    "post",
    {
        "summary": "Create (or update one's own draft of) an evaluation; submit=true submits it",
        "requestBody": json_request_spec(_EVALUATION_IN),
        "responses": {
            "201": json_response_spec("created", _EVALUATION_RESULT),
            "200": json_response_spec("draft updated", _EVALUATION_RESULT),
            "409": json_response_spec(
                "already evaluated or no longer editable", {"$ref": "#/components/schemas/Error"}
            ),
        },
    },
)
openapi.add(
    "/qa/evaluations/{id}",
    "get",
    {
        "summary": "One evaluation (QA, leads, or the evaluated agent once submitted)",
        "parameters": _ID_PARAM,
        "responses": {"200": json_response_spec("the evaluation", _EVALUATION)},
    },
)
