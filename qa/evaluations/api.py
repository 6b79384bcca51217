"""Evaluations in the API: create or update one's draft (optionally submitting it) and read one."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from portal.api import ApiError, json_body, json_request_spec, json_response_spec, openapi
from portal.auth import has_role, login_required, role_required
from portal.db import get_session
from portal.models import Role
from qa.evaluations import services as ev
from qa.evaluations.models import Evaluation, EvaluationStatus
from qa.interactions.models import Interaction
from qa.scorecards import services as scorecards
from qa.scorecards.models import ScorecardVersion
from qa.web import ID_PARAM, NULLABLE_STR, api_bp, api_get_or_404, opt_int, signed_in


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
    actor = signed_in()
    interaction_id = data.get("interaction_id")
    if isinstance(interaction_id, bool) or not isinstance(interaction_id, int):
        raise ApiError(400, "interaction_id must be an integer", details={"field": "interaction_id"})
    interaction = api_get_or_404(Interaction, interaction_id, "interaction")
    version_id = opt_int(data.get("scorecard_version_id"), "scorecard_version_id")
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
    version = api_get_or_404(ScorecardVersion, version_id, "scorecard version")
    for key in ("comment", "gap_note"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            raise ApiError(400, f"{key} must be a string", details={"field": key})
    inp = ev.EvaluationInput(
        ratings=_ratings(data.get("ratings", [])),
        comment=data.get("comment") or "",
        article_id=opt_int(data.get("article_id"), "article_id"),
        no_article=bool(data.get("no_article", False)),
        gap_note=data.get("gap_note") or "",
    )
    draft = None
    if existing is not None and existing.grader_id == actor.id and existing.state.can_edit():
        if existing.scorecard_version_id != version.id:
            raise ApiError(409, "the draft of this interaction uses another scorecard version")
        draft = existing
    evaluation = ev.save_evaluation(  # EvaluationError: 400 or 409 with the problems
        session,
        actor,
        interaction,
        version,
        inp,
        submit=bool(data.get("submit", False)),
        evaluation=draft,
    )
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
    evaluation = api_get_or_404(Evaluation, evaluation_id, "evaluation")
    actor = signed_in()
    own = evaluation.agent_id == actor.id and evaluation.status != EvaluationStatus.DRAFT.value
    if not own and not has_role(Role.QA, Role.LEAD):
        raise ApiError(403, "you may not read this evaluation")
    return jsonify(ev.evaluation_dict(get_session(), evaluation))


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
                    "agent": NULLABLE_STR,
                    "grader": NULLABLE_STR,
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
        "parameters": ID_PARAM,
        "responses": {"200": json_response_spec("the evaluation", _EVALUATION)},
    },
)
