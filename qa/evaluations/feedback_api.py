"""The agent's answer to an evaluation in the API: acknowledge or dispute it, and a lead's arbitration.
Bearer tokens only; a service's refusal reaches the client in the standard error body."""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.auth import actor_roles, login_required, role_required
from portal.contract import Answer, id_path, operation
from portal.db import get_session
from portal.models import Role
from qa.evaluations import disputes
from qa.evaluations import feedback as fb
from qa.evaluations import queries as fq
from qa.evaluations import services as ev
from qa.evaluations.schemas import DisputeIn, EvaluationWithDispute, ResolutionIn
from qa.web import api_bp, signed_in


def _evaluation(evaluation_id: int):
    return fb.visible_evaluation(get_session(), signed_in(), actor_roles(), evaluation_id)


def feedback_dict(evaluation) -> dict[str, Any]:
    """The qa package's evaluation shape plus its dispute and score history."""
    session = get_session()
    body = ev.evaluation_dict(session, evaluation)
    dispute = fq.dispute_of(session, evaluation.id)
    body["dispute"] = (
        None
        if dispute is None
        else {
            "id": dispute.id,
            "status": dispute.status,
            "reason": dispute.reason,
            "criteria": fq.dispute_criteria(session, dispute.id),
            "opened_at": dispute.opened_at.isoformat(),
            "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
            "comment": dispute.resolution_comment,
        }
    )
    body["history"] = [
        {
            "kind": h.kind,
            "score": h.score,
            "auto_fail": h.auto_fail,
            "ratings": h.rating_list(),
            "comment": h.comment,
            "changed_at": h.changed_at.isoformat(),
        }
        for h in fq.history_of(session, evaluation.id)
    ]
    return body


EVALUATION_PATH = id_path("evaluation_id")
CONFLICT = {409: Answer("wrong state, already disputed or window closed")}


@api_bp.post("/qa/evaluations/<int:evaluation_id>/acknowledge")
@login_required
@operation(
    "The evaluated agent acknowledges a submitted evaluation",
    path=EVALUATION_PATH,
    responses={200: Answer("the evaluation", EvaluationWithDispute), **CONFLICT},
)
def acknowledge(evaluation_id: int):
    evaluation = _evaluation(evaluation_id)
    fb.acknowledge(get_session(), signed_in(), evaluation)
    return feedback_dict(evaluation)


@api_bp.post("/qa/evaluations/<int:evaluation_id>/dispute")
@login_required
@operation(
    "The evaluated agent disputes criteria within the dispute window (DISPUTE_WINDOW_DAYS)",
    path=EVALUATION_PATH,
    guard=_evaluation,
    body=DisputeIn,
    responses={201: Answer("the disputed evaluation", EvaluationWithDispute), **CONFLICT},
)
def dispute(evaluation_id: int, body: DisputeIn):
    inp = body.to_input()
    evaluation = _evaluation(evaluation_id)
    fb.open_dispute(
        get_session(),
        signed_in(),
        evaluation,
        inp,
        window_days=int(current_app.config.get("DISPUTE_WINDOW_DAYS", 7)),
    )
    return feedback_dict(evaluation), 201


@api_bp.post("/qa/evaluations/<int:evaluation_id>/resolve")
@role_required(Role.LEAD)
@operation(
    "A lead (not the grader or the agent) upholds or adjusts a disputed evaluation",
    path=EVALUATION_PATH,
    guard=_evaluation,
    body=ResolutionIn,
    responses={200: Answer("the evaluation with its new score", EvaluationWithDispute), **CONFLICT},
)
def resolve(evaluation_id: int, body: ResolutionIn):
    resolution = body.to_input()
    evaluation = _evaluation(evaluation_id)
    disputes.resolve_dispute(get_session(), signed_in(), evaluation, resolution)
    return feedback_dict(evaluation)
